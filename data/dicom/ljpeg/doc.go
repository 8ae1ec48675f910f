// Package ljpeg decodes the JPEG codestreams DICOM stores beyond 8-bit
// baseline, in pure Go, bit for bit as IJG libjpeg (and so GDCM, dcmtk and
// pydicom) decodes them:
//
//   - JPEG lossless, process 14 (ITU-T T.81 Annex H; DICOM transfer syntaxes
//     1.2.840.10008.1.2.4.57 and .70): Huffman coding, every selection value
//     (predictor) 1-7, any point transform, 2 to 16 bits per sample.
//   - JPEG sequential DCT with Huffman coding, processes 1 and 4 (T.81 Annex
//     F; transfer syntaxes 1.2.840.10008.1.2.4.50 and .51): 8- and 12-bit
//     samples. The inverse DCT is libjpeg's default integer one (jidctint.c,
//     JDCT_ISLOW) with its fixed-point constants, rounding and range-limit
//     table, so samples equal libjpeg's exactly rather than within 1.
//
// Decode returns the samples as stored in the codestream (unsigned,
// 0..2^P-1), components interleaved and without colour conversion;
// DICOM's PixelRepresentation, photometric interpretation and rescale are
// the caller's. DecodeConfig reads only the headers.
//
// Robustness: every marker segment length is checked against the bytes that
// remain, and the image size is checked against a cap (MaxSamples) and
// against the length of the codestream (a Huffman-coded sample takes at
// least one bit, an 8x8 DCT block at least two) before the output is
// allocated, so a forged header cannot force a large allocation. Corrupt,
// truncated and unsupported streams (progressive, arithmetic, hierarchical,
// DNL-defined heights, subsampled components) return an *Error naming the
// marker and byte offset; errors.Is(err, ErrUnsupported) tells the last kind
// apart. Decode never panics (FuzzDecode checks this).
package ljpeg
