package siim

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Format is the dialect of a label or submission CSV, detected from its
// header.
type Format int

const (
	// Stage1 is the stage-1 train-rle.csv: header "ImageId, EncodedPixels",
	// values after a leading space (" -1", " 175349 7 ...").
	Stage1 Format = iota + 1
	// Stage2 is the stage-2 training labels and the submission format:
	// header "ImageId,EncodedPixels".
	Stage2
	// Sample is Kaggle's 10-image sample as some repositories store it:
	// header "fname,mask".
	Sample
)

func (f Format) String() string {
	switch f {
	case Stage1:
		return "stage1"
	case Stage2:
		return "stage2"
	case Sample:
		return "sample"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// Label is the ground truth (or a prediction) for one image: the union of
// every row that names it.
type Label struct {
	ImageID string
	// RLEs holds the non-empty relative encodings of the image's rows in
	// file order; it is empty for an image without pneumothorax. Rows can
	// overlap: the mask is their union (OR).
	RLEs []string
	// Lines are the 1-based line numbers of the image's rows.
	Lines []int
}

// Positive reports whether the image has at least one non-empty row.
func (l *Label) Positive() bool { return len(l.RLEs) > 0 }

// Mask decodes the union of the image's rows into a new h x w mask.
func (l *Label) Mask(h, w int) (*Mask, error) {
	m := NewMask(h, w)
	if err := l.MaskInto(m); err != nil {
		return nil, err
	}
	return m, nil
}

// MaskInto clears m and decodes the union of the image's rows into it.
func (l *Label) MaskInto(m *Mask) error {
	clear(m.Pix)
	for i, s := range l.RLEs {
		if err := DecodeRLEInto(m, s); err != nil {
			return fmt.Errorf("siim: image %s (line %d): %w", l.ImageID, l.rleLine(i), err)
		}
	}
	return nil
}

// rleLine returns the line of the i-th non-empty row.
func (l *Label) rleLine(i int) int {
	if len(l.Lines) == len(l.RLEs) {
		return l.Lines[i]
	}
	return 0
}

// Labels is a parsed label or submission file: one Label per image, in
// order of first appearance.
type Labels struct {
	Format Format
	Images []*Label
	index  map[string]int
}

// Get returns the label of an image, or nil if the file does not name it.
func (ls *Labels) Get(id string) *Label {
	if i, ok := ls.index[id]; ok {
		return ls.Images[i]
	}
	return nil
}

// Positives returns how many images have a non-empty mask.
func (ls *Labels) Positives() int {
	n := 0
	for _, l := range ls.Images {
		if l.Positive() {
			n++
		}
	}
	return n
}

// add records one row.
func (ls *Labels) add(id, rle string, line int) {
	i, ok := ls.index[id]
	if !ok {
		i = len(ls.Images)
		ls.index[id] = i
		ls.Images = append(ls.Images, &Label{ImageID: id})
	}
	l := ls.Images[i]
	if !isEmptyRLE(rle) {
		l.RLEs = append(l.RLEs, strings.TrimSpace(rle))
		l.Lines = append(l.Lines, line)
	}
}

// NewLabels returns an empty label set (to build predictions in memory).
func NewLabels() *Labels {
	return &Labels{Format: Stage2, index: map[string]int{}}
}

// Add appends the relative encoding rle ("-1" for none) to image id's
// rows, creating the image if needed.
func (ls *Labels) Add(id, rle string) { ls.add(id, rle, 0) }

// ReadLabels parses a label or submission CSV of any stage (see Format):
// an optional UTF-8 byte order mark, a header row, then "ImageId,RLE"
// rows, values possibly after spaces, "-1" for an empty mask, several rows
// per image allowed (their masks are OR-ed). Every encoding is checked
// against an h x w image (pass 0, 0 to check only the syntax). Errors name
// the line.
func ReadLabels(r io.Reader, h, w int) (*Labels, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	ls := NewLabels()
	ls.Format = 0
	for line := 1; ; line++ {
		text, err := br.ReadString('\n')
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("siim: line %d: %w", line, err)
		}
		if text == "" && err == io.EOF {
			break
		}
		if line == 1 {
			text = strings.TrimPrefix(text, "\ufeff")
		}
		text = strings.TrimRight(text, "\r\n")
		if strings.TrimSpace(text) == "" {
			if err == io.EOF {
				break
			}
			continue
		}
		a, b, ok := strings.Cut(text, ",")
		if !ok {
			return nil, fmt.Errorf("siim: line %d: want 2 comma-separated fields, found 1", line)
		}
		if strings.Contains(b, ",") {
			return nil, fmt.Errorf("siim: line %d: want 2 comma-separated fields, found %d", line, strings.Count(text, ",")+1)
		}
		a, b = unquote(strings.TrimSpace(a)), unquote(strings.TrimSpace(b))
		if ls.Format == 0 {
			f, ferr := headerFormat(a, b, text)
			if ferr != nil {
				return nil, fmt.Errorf("siim: line %d: %w", line, ferr)
			}
			ls.Format = f
		} else {
			if a == "" {
				return nil, fmt.Errorf("siim: line %d: empty image id", line)
			}
			if verr := validateRLE(b, h, w); verr != nil {
				return nil, fmt.Errorf("siim: line %d: image %s: %w", line, a, verr)
			}
			ls.add(a, b, line)
		}
		if err == io.EOF {
			break
		}
	}
	if ls.Format == 0 {
		return nil, errors.New("siim: empty file: no header row")
	}
	return ls, nil
}

func validateRLE(s string, h, w int) error {
	if h > 0 && w > 0 {
		return ValidateRLE(s, h, w)
	}
	if isEmptyRLE(s) {
		return nil
	}
	return forEachRun(s, func(int, int, int) error { return nil })
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return strings.TrimSpace(s[1 : len(s)-1])
	}
	return s
}

func headerFormat(a, b, raw string) (Format, error) {
	switch {
	case strings.EqualFold(a, "ImageId") && strings.EqualFold(b, "EncodedPixels"):
		if strings.Contains(raw, ", ") {
			return Stage1, nil
		}
		return Stage2, nil
	case strings.EqualFold(a, "fname") && strings.EqualFold(b, "mask"):
		return Sample, nil
	}
	return 0, fmt.Errorf("unknown header %q: want \"ImageId,EncodedPixels\", \"ImageId, EncodedPixels\" or \"fname,mask\"", raw)
}

// ReadLabelsFile is ReadLabels on a file; errors name the file.
func ReadLabelsFile(path string, h, w int) (*Labels, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ls, err := ReadLabels(f, h, w)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ls, nil
}

// Prediction is one image's mask, for writing submissions and label files.
type Prediction struct {
	ImageID string
	Mask    *Mask
}

// WriteSubmission writes a stage-2 submission: header
// "ImageId,EncodedPixels", one row per image in the given order, the
// relative encoding of its mask or "-1" for an empty (or nil) one. ReadLabels reads
// it back to the same masks. A repeated image id is an error.
func WriteSubmission(w io.Writer, preds []Prediction) error {
	return writeCSV(w, "ImageId,EncodedPixels", ",", preds)
}

// WriteTrainRLE writes labels in the stage-1 train-rle.csv form: header
// "ImageId, EncodedPixels", values after ", " (" -1" for an empty mask),
// one row per image.
func WriteTrainRLE(w io.Writer, preds []Prediction) error {
	return writeCSV(w, "ImageId, EncodedPixels", ", ", preds)
}

func writeCSV(w io.Writer, header, sep string, preds []Prediction) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(header + "\n")
	seen := make(map[string]bool, len(preds))
	for _, p := range preds {
		if p.ImageID == "" || strings.ContainsAny(p.ImageID, ",\r\n\"") || strings.TrimSpace(p.ImageID) != p.ImageID {
			return fmt.Errorf("siim: image id %q cannot be written to a CSV", p.ImageID)
		}
		if seen[p.ImageID] {
			return fmt.Errorf("siim: image %s written twice", p.ImageID)
		}
		seen[p.ImageID] = true
		bw.WriteString(p.ImageID)
		bw.WriteString(sep)
		if p.Mask == nil {
			bw.WriteString("-1")
		} else {
			bw.WriteString(EncodeRLE(p.Mask))
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}
