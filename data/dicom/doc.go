// Package dicom reads DICOM Part-10 files (PS3.10) in pure Go and writes the
// JPEG Secondary Capture files of the SIIM-ACR pneumothorax data set.
//
// Reading: Parse / Read / ReadFile return a *File: the file meta group, the
// data set (elements in file order, by tag via Get, String, Int, Float,
// Floats), and the transfer syntax. Supported encodings are implicit VR
// little endian, explicit VR little and big endian, and deflated explicit VR
// little endian; sequences of defined and undefined length, nested items and
// delimiters are parsed (nesting is capped at 32). Parse rejects files
// without the 128-byte preamble and "DICM" with an error; ParseDataSet reads
// a bare data set whose transfer syntax the caller knows.
//
// Pixels: File.Pixels decodes grayscale (SamplesPerPixel 1) pixel data of
// 8 or 16 bits, signed or unsigned, single- or multi-frame, from native
// encodings, RLE Lossless (PS3.5 Annex G) and 8-bit JPEG, into a typed
// array laid out [frame][row][col]
// (Pixels.U8/I8/U16/I16), and Pixels.Display gives float32 display values
// (rescale slope/intercept applied, MONOCHROME1 inverted); File.Gray8 and
// Display8 give the 8-bit image a viewer shows (display.go).
//
// Compressed syntaxes decode through the codec packages (codecs.go):
// JPEG baseline, extended (8 and 12 bit) and lossless through ljpeg, which
// reproduces libjpeg's default integer IDCT (jidctint.c, JDCT_ISLOW) bit for
// bit, so pixels equal what pydicom + Pillow (libjpeg-turbo) give (8-bit
// progressive streams fall back to image/jpeg, within 1 of libjpeg); JPEG-LS
// through jpegls; JPEG 2000 through jpeg2k. Other syntaxes give an
// *UnsupportedError naming the transfer syntax UID and name.
//
// Robustness: every length is checked against the bytes left before it is
// used, so a forged length cannot force an allocation larger than the input
// (decoded pixel arrays are additionally capped by the compressed size and
// at 1 GiB); truncated or corrupt input gives a *ParseError naming the byte
// offset and tag. Parsing never panics (FuzzParse checks this).
//
// Writing: WriteJPEGSecondaryCapture writes an 8-bit image as SIIM's files
// are written (JPEG baseline, encapsulated, one fragment), and
// ReadGray8File reads one back as an *image.Gray of display pixels.
package dicom
