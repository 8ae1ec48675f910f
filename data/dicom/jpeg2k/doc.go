// Package jpeg2k decodes JPEG 2000 Part 1 codestreams (ITU-T T.800 |
// ISO/IEC 15444-1), the compression of the DICOM transfer syntaxes
// 1.2.840.10008.1.2.4.90 (lossless, reversible 5/3) and .91 (lossy,
// irreversible 9/7), in pure Go.
//
// It reads a raw codestream (SOC, FF4F) or a JP2 file (the first jp2c box)
// with any number of tiles and tile-parts, quality layers, resolution
// levels and precincts, the five progression orders and POC changes,
// packed packet headers (PPM, PPT), SOP/EPH markers, every Part 1
// code-block style (bypass, reset, termination on each pass, vertically
// causal contexts, predictable termination, segmentation symbols) and
// max-shift regions of interest, then undoes the quantization (Annex E),
// the wavelet transform (Annex F), the component transform and the DC
// level shift (Annex G). Components may be signed or unsigned, of 1 to 24
// bits; all components of an image must share one size and bit depth.
//
// The 9/7 path computes in float32 with OpenJPEG's constants and order of
// operations (including its step-size convention, see dwt.go), so lossy
// images decode to the same values as OpenJPEG (and so GDCM and pydicom)
// produce; lossless images are exact by construction.
//
// The layout of the sources follows the standard: header.go (Annex A
// markers), tier2.go (Annex B packets and tag trees), mq.go (Annex C),
// t1.go (Annex D), blocks.go (Annex E dequantization), dwt.go (Annex F),
// tile.go (B.5-B.7 geometry, Annex G).
//
// Every length is checked before it is used or allocates: corrupt input
// returns a *FormatError naming the marker and byte offset, never panics.
// Limits: 2^28 samples in all, 2^20 code-blocks and 2^20 precincts per
// tile, 2^20 tile-components, 32 decomposition levels, 30 coded bit-planes
// per code-block. A truncated codestream decodes to what it holds, as with
// OpenJPEG: packets past the end are missing and a code-block cut short is
// left zero. Decode does not modify its input.
//
// Memory: a single-tile, single-component image is decoded in place in
// Image.Pix (plus per-goroutine scratch); otherwise one tile's coefficients
// are kept per component besides Pix.
//
// Concurrency: tier-1 (code-blocks) and the larger inverse DWT levels run
// on up to GOMAXPROCS goroutines; the result does not depend on their
// number.
package jpeg2k
