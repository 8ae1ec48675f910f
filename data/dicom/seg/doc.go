// Package seg writes lungo's pneumothorax findings back as DICOM objects a
// PACS stores and a radiologist's viewer shows, and reads them back.
//
// WriteSegmentation writes a binary DICOM Segmentation (SEG, SOP class
// 1.2.840.10008.5.1.4.1.1.66.4, PS3.3 A.51) of a mask over its source
// radiograph, shaped as highdicom and MONAI Deploy's DICOM SEG writer shape
// theirs: one segment "Pneumothorax" (category SCT 49755003
// "Morphologically Altered Structure", type SCT 36118008 "Pneumothorax",
// algorithm type AUTOMATIC, algorithm family DCM 123109 "Artificial
// Intelligence" with name, version and "model_sha256=<hash>" as parameters),
// one bit-packed frame, the source's Patient and Study modules, a new series
// of modality SEG, the Enhanced General Equipment module (all Type 1),
// references to the source in the Referenced Series Sequence and in the
// frame's Derivation Image Sequence, and a Dimension Organization indexed by
// segment number (and image position when the source has one).
//
// WriteOverlay writes, for viewers that do not render SEG, an RGB Secondary
// Capture (1.2.840.10008.5.1.4.1.1.7) of the radiograph with the finding's
// outline burnt in red (RenderOverlay), in the same study, a new series,
// referencing the source image.
//
// ReadFrames and ReadMask unpack a binary SEG's frames; a mask written by
// WriteSegmentation comes back bit for bit, whatever rows*cols is modulo 8.
// They take untrusted input: sizes are checked against the bytes present
// before anything is allocated, and bad input is an error, never a panic
// (FuzzReadMask).
//
// Choices:
//
//   - A negative finding (no pixel set) is still written as a SEG whose one
//     segment has an all-zero frame, so the archive records that the image
//     was examined and nothing was found; a caller that prefers no object
//     can test the mask first.
//   - Geometry is carried over, never invented. Pixel Spacing goes into
//     the shared Pixel Measures functional group when the source has it.
//     The source's Frame of Reference UID, Slice Thickness, Image
//     Orientation (shared Plane Orientation) and Image Position (per-frame
//     Plane Position, also indexed as a dimension) are carried over
//     together when the source has a Frame of Reference and a Slice
//     Thickness (a cross-sectional image). A projection radiograph (SIIM's
//     Secondary Captures have no Frame of Reference; a DX may have one but
//     no Slice Thickness) gets none of them: the SEG IOD requires a Frame
//     of Reference only without a Derivation Image functional group, which
//     lungo always writes; with one, the Pixel Measures would need a Slice
//     Thickness the radiograph does not have (dciodvfy reports its absence
//     as an error); and a new Frame of Reference would claim a patient
//     coordinate system nobody measured. The SEG is tied to its radiograph
//     by the references instead, as viewers overlay 2-D SEGs.
//   - Values copied from the source are repaired where the source is not
//     valid DICOM and the repair is unambiguous: decimal strings are
//     reformatted to at most 16 characters (SIIM writes 0.14300000000000002),
//     a bare number as Patient's Age becomes years ("29" -> "029Y"), a zero
//     Patient's Weight or Size, or a zero Pixel Spacing (unknown), is left
//     out. A Lossy Image
//     Compression "01" of the source is carried over (it is never reset).
//   - UIDs are generated under DefaultUIDRoot "2.25" from a random UUID
//     (PS3.5 B.2), or under a caller's root (Options.UIDRoot) with at least
//     66 random bits; UIDFromName derives a UID from a name for idempotent
//     re-runs.
//
// Encoding: Part-10 files with a 128-byte preamble, "DICM", the file meta
// group with its group length, Media Storage SOP Class and Instance UIDs,
// transfer syntax Explicit VR Little Endian (1.2.840.10008.1.2.1),
// Implementation Class UID and Version Name; elements in ascending tag
// order; sequences and items of defined length throughout; values padded
// to even length (NUL for UI and OB, space for other text). DA values are
// YYYYMMDD and TM values HHMMSS.FFFFFF, of Options.Now, whose zone also
// gives the Timezone Offset From UTC.
//
// WriteFile writes a file atomically (temporary file in the same directory,
// synced, renamed). scripts/dicomcheck/check.sh checks written files with
// pydicom and the IOD validator dciodvfy.
package seg
