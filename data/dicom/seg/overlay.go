package seg

import (
	"fmt"
	"image"
	"image/color"
	"io"

	"github.com/lungo-ml/lungo/data/dicom"
)

// OutlineColor is the colour of the outline RenderOverlay burns in.
var OutlineColor = color.RGBA{R: 255, A: 255}

// RenderOverlay returns the grey image gray (rows x cols) as RGB with the
// outline of mask (rows x cols row-major, nonzero = inside) painted in
// OutlineColor. The outline is the set of mask pixels within width pixels
// (chessboard distance) of a pixel outside the mask or outside the image,
// so it is width pixels thick, lies inside the finding and never hides the
// radiograph outside it; width < 1 means max(1, min(rows, cols)/512).
// An empty mask gives the radiograph unchanged, in grey RGB.
func RenderOverlay(gray *image.Gray, mask []uint8, width int) (*image.RGBA, error) {
	if gray == nil {
		return nil, fmt.Errorf("seg: nil image")
	}
	b := gray.Bounds()
	rows, cols := b.Dy(), b.Dx()
	if len(mask) != rows*cols {
		return nil, fmt.Errorf("seg: mask has %d values, the %dx%d image %d", len(mask), rows, cols, rows*cols)
	}
	if width < 1 {
		width = max(1, min(rows, cols)/512)
	}
	out := image.NewRGBA(image.Rect(0, 0, cols, rows))
	edge := outline(mask, rows, cols, width)
	for y := range rows {
		o := gray.PixOffset(b.Min.X, b.Min.Y+y)
		src := gray.Pix[o : o+cols]
		dst := out.Pix[y*out.Stride : y*out.Stride+4*cols]
		for x, v := range src {
			c := color.RGBA{v, v, v, 255}
			if edge[y*cols+x] {
				c = OutlineColor
			}
			dst[4*x], dst[4*x+1], dst[4*x+2], dst[4*x+3] = c.R, c.G, c.B, 255
		}
	}
	return out, nil
}

// outline returns the mask pixels that the erosion of the mask by a
// (2w+1)x(2w+1) square drops: those within w pixels (chessboard distance)
// of a pixel outside the mask or outside the image. The erosion is
// separable, along the rows and then along the columns.
func outline(mask []uint8, rows, cols, w int) []bool {
	in := make([]bool, rows*cols)
	for i, v := range mask {
		in[i] = v != 0
	}
	h := make([]bool, rows*cols)
	run := make([]int, max(rows, cols))
	for y := range rows {
		erodeLine(h, in, y*cols, 1, cols, w, run)
	}
	interior := make([]bool, rows*cols)
	for x := range cols {
		erodeLine(interior, h, x, cols, rows, w, run)
	}
	for i := range in {
		in[i] = in[i] && !interior[i]
	}
	return in
}

// erodeLine sets dst[base+i*stride], i < n, to whether src is true at every
// j with |j-i| <= r, 0 <= j < n (so false within r of the line's ends).
// run is scratch of at least n ints.
func erodeLine(dst, src []bool, base, stride, n, r int, run []int) {
	c := 0
	for i := range n {
		if src[base+i*stride] {
			c++
		} else {
			c = 0
		}
		run[i] = c // true pixels ending at i
	}
	c = 0
	for i := n - 1; i >= 0; i-- {
		if src[base+i*stride] {
			c++
		} else {
			c = 0
		}
		dst[base+i*stride] = i-r >= 0 && i+r < n && run[i] > r && c > r
	}
}

// WriteOverlay writes the radiograph with the outline of mask burnt in
// (RenderOverlay) as an RGB Secondary Capture image (SOP class
// 1.2.840.10008.5.1.4.1.1.7, 8 bits, uncompressed, explicit VR little
// endian) for viewers that do not render SEG, and returns its SOP Instance
// UID.
//
// gray is the source's 8-bit display image, rows x cols; nil means
// src.Gray8(), data/dicom's rendering of the source's pixels (SIIM's JPEG
// files among them).
// mask is as for WriteSegmentation. The image joins the source's study in a
// new series with the source's modality ("OT" when it has none), Conversion
// Type WSD, and references the source in Source Image Sequence and
// Referenced Image Sequence. The source's Lossy Image Compression "01" is
// carried over (PS3.3 C.7.6.1.1.5); Burned In Annotation is "NO" (the
// outline identifies no one).
func WriteOverlay(w io.Writer, src *dicom.File, gray *image.Gray, mask []uint8, rows, cols int, opt Options) (sopInstanceUID string, err error) {
	s, err := readSource(src)
	if err != nil {
		return "", err
	}
	if err := checkMaskSize(s, mask, rows, cols); err != nil {
		return "", err
	}
	if gray == nil {
		if gray, err = src.Gray8(); err != nil {
			return "", fmt.Errorf("seg: overlay needs the source's 8-bit display image: %w", err)
		}
	}
	if b := gray.Bounds(); b.Dy() != rows || b.Dx() != cols {
		return "", fmt.Errorf("seg: display image is %dx%d, the mask %dx%d (rows x cols)", b.Dy(), b.Dx(), rows, cols)
	}
	r, err := opt.resolve(DefaultOverlaySeriesNumber, "lungo pneumothorax overlay")
	if err != nil {
		return "", err
	}
	img, err := RenderOverlay(gray, mask, r.OutlineWidth)
	if err != nil {
		return "", err
	}
	d := overlayDataSet(s, r, img)
	if err := writePart10(w, SecondaryCaptureSOPClass, r.sopUID, d); err != nil {
		return "", err
	}
	return r.sopUID, nil
}

// overlayDataSet builds the Secondary Capture's data set (PS3.3 A.8.1).
func overlayDataSet(s *source, r *resolved, img *image.RGBA) *dataSet {
	d := &dataSet{}
	copyPatientStudy(d, s)
	modality := s.modality
	if modality == "" {
		modality = "OT"
	}
	newSeries(d, r, SecondaryCaptureSOPClass, modality)
	seriesAnatomy(d, s, true)

	// General Equipment and SC Equipment.
	d.str(dicom.Manufacturer, "LO", r.Manufacturer)
	d.str(dicom.ManufacturerModelName, "LO", r.ManufacturerModelName)
	d.str(tagDeviceSerialNumber, "LO", r.DeviceSerialNumber)
	d.str(tagSoftwareVersions, "LO", r.SoftwareVersions)
	d.str(dicom.ConversionType, "CS", "WSD")
	d.str(tagSecondaryCaptureDeviceManuf, "LO", r.Manufacturer)
	d.str(tagSecondaryCaptureDeviceModel, "LO", r.ManufacturerModelName)
	d.str(tagSecondaryCaptureDeviceSWVer, "LO", r.SoftwareVersions)

	// General Image and SC Image.
	d.str(dicom.ImageType, "CS", "DERIVED", "SECONDARY")
	d.str(dicom.PatientOrientation, "CS", s.f.String(dicom.PatientOrientation))
	desc := "pneumothorax outline by " + r.AlgorithmName + " " + r.AlgorithmVersion
	if r.ModelHash != "" {
		desc += " (model sha256 " + r.ModelHash + ")"
	}
	d.str(dicom.DerivationDescription, "ST", desc)
	d.seq(tagSourceImageSeq, sourceImageItem(s))
	var ref dataSet
	ref.str(tagReferencedSOPClassUID, "UI", s.sopClass)
	ref.str(tagReferencedSOPInstanceUID, "UI", s.sopInstance)
	d.seq(dicom.ReferencedImageSeq, ref)
	d.str(tagBurnedInAnnotation, "CS", "NO")
	lossyCompression(d, s)
	d.str(tagDateOfSecondaryCapture, "DA", r.date())
	d.str(tagTimeOfSecondaryCapture, "TM", r.clock())
	if s.spacing != nil {
		d.ds(dicom.PixelSpacing, s.spacing...)
	}

	// Image Pixel: RGB, interleaved (Planar Configuration 0).
	b := img.Bounds()
	rows, cols := b.Dy(), b.Dx()
	d.us(dicom.SamplesPerPixel, 3)
	d.str(dicom.PhotometricInterpretation, "CS", "RGB")
	d.us(dicom.PlanarConfiguration, 0)
	d.us(dicom.Rows, uint16(rows))
	d.us(dicom.Columns, uint16(cols))
	d.us(dicom.BitsAllocated, 8)
	d.us(dicom.BitsStored, 8)
	d.us(dicom.HighBit, 7)
	d.us(dicom.PixelRepresentation, 0)
	px := make([]byte, 0, 3*rows*cols)
	for y := range rows {
		row := img.Pix[y*img.Stride : y*img.Stride+4*cols]
		for x := range cols {
			px = append(px, row[4*x], row[4*x+1], row[4*x+2])
		}
	}
	d.bin(dicom.PixelData, "OB", px)
	return d
}
