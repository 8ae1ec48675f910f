package main

import (
	"fmt"
	"image"
	"io"
	"os"

	"github.com/lungo-ml/lungo/data/dicom"
	"github.com/lungo-ml/lungo/data/dicom/seg"
	"github.com/lungo-ml/lungo/data/siim"
	"github.com/lungo-ml/lungo/infer"
	"github.com/lungo-ml/lungo/serve"
)

// DICOM results shared by "lungo predict -seg/-sc" and "lungo pacs": a
// finding goes back as a DICOM Segmentation and an overlay Secondary
// Capture (package data/dicom/seg) whose UIDs are derived from the source
// instance, the weights and the post-processing, so that a re-run writes
// the same instances (which a PACS stores once) instead of new copies.

// A resultWriter writes the SEG and the overlay of one model's predictions.
type resultWriter struct {
	version   string // lungo's version: the SEG's Algorithm Version
	modelHash string // hex SHA-256 of the weights file
	settings  string // the post-processing, part of the results' names
}

// newResultWriter hashes the weights file and fixes the settings that
// decide a mask besides the weights: the size the model sees, the triplet,
// test-time augmentation and the classification gate.
func newResultWriter(weights string, size int, tr infer.Triplet, tta, useClass bool, classThr float64) (*resultWriter, error) {
	f, err := os.Open(weights)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sum, err := serve.FileHash(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", weights, err)
	}
	settings := fmt.Sprintf("size=%d top=%g min_area=%d bottom=%g tta=%v", size, tr.Top, tr.MinArea, tr.Bottom, tta)
	if useClass {
		settings += fmt.Sprintf(" class>%g", classThr)
	}
	return &resultWriter{version: lungoVersion(), modelHash: sum, settings: settings}, nil
}

// lungoVersion is the main module's version from the build information
// (version.go): a release tag for "go install ...@v1.2.3", a pseudo-version
// or "(devel)" for a checkout, "(devel)" when the toolchain could not tell.
func lungoVersion() string {
	if v := readVersion().Version; v != "" {
		return v
	}
	return "(devel)"
}

// options returns the seg.Options of the result of kind "seg" or "sc" of
// src: the SOP Instance UID is named after the source instance, the kind,
// the weights and the settings, and the Series Instance UID after the
// study, the weights, the settings and the kind, so every result of one
// model in a study shares one series.
func (rw *resultWriter) options(src *dicom.File, kind string) (seg.Options, error) {
	sop, study := src.String(dicom.SOPInstanceUID), src.String(dicom.StudyInstanceUID)
	if sop == "" || study == "" {
		return seg.Options{}, fmt.Errorf("the source has no SOP Instance UID or Study Instance UID")
	}
	opt := seg.Options{AlgorithmVersion: rw.version, ModelHash: rw.modelHash, Manufacturer: seg.DefaultManufacturer}
	var err error
	if opt.SOPInstanceUID, err = seg.UIDFromName("", sop+"|"+kind+"|"+rw.modelHash+"|"+rw.settings); err != nil {
		return opt, err
	}
	if opt.SeriesInstanceUID, err = seg.UIDFromName("", study+"|"+rw.modelHash+"|"+rw.settings+"|"+kind); err != nil {
		return opt, err
	}
	return opt, nil
}

// segmentation writes the SEG of m (at the source's size) over src to w and
// returns its SOP Instance UID.
func (rw *resultWriter) segmentation(w io.Writer, src *dicom.File, m *siim.Mask) (string, error) {
	opt, err := rw.options(src, "seg")
	if err != nil {
		return "", err
	}
	return seg.WriteSegmentation(w, src, m.Pix, m.H, m.W, opt)
}

// overlay writes the overlay Secondary Capture of m on gray, src's display
// image, to w and returns its SOP Instance UID.
func (rw *resultWriter) overlay(w io.Writer, src *dicom.File, gray *image.Gray, m *siim.Mask) (string, error) {
	opt, err := rw.options(src, "sc")
	if err != nil {
		return "", err
	}
	return seg.WriteOverlay(w, src, gray, m.Pix, m.H, m.W, opt)
}
