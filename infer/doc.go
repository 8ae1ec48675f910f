// Package infer is what a program that only predicts needs: a Predictor
// (a U-Net in evaluation mode, optionally with flip test-time
// augmentation), PredictImages and PredictImage that turn radiographs of
// any size into masks at their own size, the triplet post-processing of the
// SIIM-ACR 1st-place solution (Triplet, SearchTriplet), Evaluate for scores
// on labelled images, and writers for submissions, probability maps, mask
// and overlay PNGs.
//
// It imports the model (models/unet) and the data (data/siim), never the
// trainer: a server or a command-line predictor built on infer links no
// optimizer and no training loop. Package train uses infer to validate.
package infer
