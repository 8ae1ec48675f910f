// Package jpegls decodes JPEG-LS codestreams (ITU-T T.87 | ISO/IEC 14495-1)
// in pure Go: the DICOM transfer syntaxes JPEG-LS Lossless
// (1.2.840.10008.1.2.4.80) and JPEG-LS Near-Lossless (1.2.840.10008.1.2.4.81).
//
// Decode takes one complete codestream (one DICOM frame, SOI to EOI) and
// returns the stored sample values, 0..MAXVAL, row-major with components
// interleaved ([Rows][Cols][Components]); DecodeConfig reads only the
// headers, so a caller can check the size before anything is allocated.
//
// Supported: 2-16 bits per sample; any NEAR (lossless and near-lossless);
// one or more components in the three interleave modes (ILV 0 none, one scan
// per component; 1 line; 2 sample); restart intervals (DRI, RSTm markers);
// the LSE preset coding parameters (custom MAXVAL, T1, T2, T3, RESET;
// T.87 C.2.4.1.1) and oversize image dimensions (C.2.4.1.4).
// Not supported, reported as an *UnsupportedError: mapping tables (palette
// images, LSE IDs 2 and 3 referenced by a scan), a point transform other
// than 0, components with different sampling factors, and an image height
// defined by a DNL marker.
//
// The decoder follows T.87 Annex A: context determination (A.3), prediction
// (A.4), prediction error decoding (A.5), context update (A.6) and run mode
// (A.7), with the marker-segment syntax of Annex C and the bit stuffing of
// 9.1 (after a 0xFF byte the next byte carries 7 bits). Multi-component
// sample-interleaved scans follow the reference implementation CharLS (which
// GDCM and pydicom use): run mode when every component's gradients are zero,
// run interruption samples coded with RItype 0.
//
// MAXVAL: an LSE segment may set MAXVAL below 2^P-1. T.87 then derives
// RANGE, qbpp and LIMIT from that MAXVAL; CharLS 2.x (and so GDCM and
// pydicom) derives them from 2^P-1 and, with the default RESET, ignores
// MAXVAL altogether, so the two read such a stream differently. Decode
// follows T.87 and, only if that fails, decodes the stream again as CharLS
// does (CharLS-written streams with a small MAXVAL then decode to CharLS's
// values, see testdata/charls.txt). Encoders used with DICOM (CharLS,
// dcmtk) write MAXVAL = 2^P-1, where both readings agree.
//
// Robustness: every length is checked against the bytes left before it is
// used; an image of more than 2^28 samples, or with lines of more than 2^22
// samples, is refused before any allocation, and the output grows as lines
// are decoded, so a forged size on a short stream allocates little;
// truncated entropy-coded data, invalid codes and bad parameters give a
// *FormatError naming the marker and byte offset
// ("jpegls: SOF55 at offset 2: ..."). Decode never panics (FuzzDecode).
package jpegls
