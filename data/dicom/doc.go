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
// (rescale slope/intercept applied, MONOCHROME1 inverted). Other syntaxes
// (JPEG 2000, JPEG-LS, JPEG lossless, 12-bit JPEG) give an *UnsupportedError
// naming the transfer syntax UID and name.
//
// JPEG: sequential Huffman streams (baseline and 8-bit extended, with or
// without restart markers) are decoded by a built-in decoder that
// reproduces libjpeg's default integer IDCT (jidctint.c, JDCT_ISLOW) bit for
// bit, so pixels equal what pydicom + Pillow (libjpeg-turbo) give; other
// 8-bit streams (progressive) fall back to image/jpeg (within 1 of libjpeg).
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
