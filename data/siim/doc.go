// Package siim reads, writes and serves the SIIM-ACR pneumothorax
// segmentation data: run-length encoded masks (rle.go), the label and
// submission CSV files of both competition stages (csv.go), the competition
// metric (metric.go), dataset folders and k-fold splits (dataset.go),
// folder datasets of PNG or JPEG images with mask PNGs (folder.go), plain
// image files as 8-bit grey (imagefile.go),
// resizing and normalisation (preprocess.go), an on-disk cache of resized
// images (cache.go), augmentation (augment.go), a concurrent batch loader
// (loader.go) and a synthetic chest-radiograph generator (synth.go).
//
// Conventions:
//   - Images are 8-bit grayscale display values (*image.Gray, row-major).
//   - A Mask is H x W, row-major, one uint8 (0 or 1) per pixel.
//   - The RLE forms walk pixels column-major: flat index k is row k mod H,
//     column k div H, as in the competition files (1024 x 1024).
//   - Batches are PyTorch-style NCHW tensors: images [N,1,S,S] float32,
//     masks [N,1,S,S] float32 in {0,1}, labels [N] (1 = pneumothorax).
//
// Data errors (a malformed RLE, a bad CSV line, a corrupt DICOM) are
// returned as errors that say what and where; programmer errors (a
// negative size) panic with a "siim: " prefix.
package siim
