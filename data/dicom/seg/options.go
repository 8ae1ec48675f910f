package seg

import (
	"fmt"
	"io"
	"time"
)

// Defaults of Options fields left empty.
const (
	DefaultAlgorithmName       = "lungo"
	DefaultManufacturer        = "lungo"
	DefaultModelName           = "lungo"
	DefaultDeviceSerialNumber  = "0"
	DefaultSEGSeriesNumber     = 9901
	DefaultOverlaySeriesNumber = 9902
)

// Options describe the algorithm and the new series of a written object.
// Zero fields take the defaults documented on each; AlgorithmVersion is
// required.
type Options struct {
	// AlgorithmName names the algorithm in the segment's algorithm
	// identification (default "lungo").
	AlgorithmName string
	// AlgorithmVersion is the algorithm's version, e.g. the lungo release
	// (required: the SEG's Algorithm Version is Type 1).
	AlgorithmVersion string
	// ModelHash identifies the weights, e.g. the hex SHA-256 of the
	// weights file. It is written as the Algorithm Parameters
	// "model_sha256=<hash>" and in the Derivation Description; may be empty.
	ModelHash string

	// Manufacturer, ManufacturerModelName, DeviceSerialNumber and
	// SoftwareVersions fill the Enhanced General Equipment module, where
	// all four are Type 1 (defaults "lungo", "lungo", "0", and
	// AlgorithmVersion).
	Manufacturer          string
	ManufacturerModelName string
	DeviceSerialNumber    string
	SoftwareVersions      string

	// SeriesNumber numbers the new series (default 9901 for a SEG, 9902 for
	// an overlay); InstanceNumber numbers the instance in it (default 1).
	SeriesNumber   int
	InstanceNumber int
	// SeriesDescription describes the new series (default "lungo
	// pneumothorax segmentation" or "lungo pneumothorax overlay").
	SeriesDescription string

	// SeriesInstanceUID and SOPInstanceUID, when set, are used instead of
	// new random UIDs: to put several results in one series, or to make
	// re-runs idempotent with UIDFromName. They must be valid UIDs.
	SeriesInstanceUID string
	SOPInstanceUID    string
	// UIDRoot is the root of generated UIDs (default DefaultUIDRoot, "2.25").
	UIDRoot string
	// Rand is the source of the random bits of generated UIDs (default
	// crypto/rand.Reader).
	Rand io.Reader

	// Now is the content, series and instance creation date and time
	// (default time.Now()); its location gives the Timezone Offset From UTC.
	Now time.Time

	// OutlineWidth is the width in pixels of the overlay's outline
	// (default: max(1, min(rows, cols)/512), 2 for a 1024x1024 radiograph).
	OutlineWidth int
}

// resolved holds the options with defaults applied and UIDs drawn.
type resolved struct {
	Options
	seriesUID, sopUID string
}

// resolve applies defaults and generates the series and instance UIDs.
func (o Options) resolve(seriesNumber int, description string) (*resolved, error) {
	if o.AlgorithmVersion == "" {
		return nil, fmt.Errorf("seg: Options.AlgorithmVersion is empty (Algorithm Version is Type 1)")
	}
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&o.AlgorithmName, DefaultAlgorithmName)
	def(&o.Manufacturer, DefaultManufacturer)
	def(&o.ManufacturerModelName, DefaultModelName)
	def(&o.DeviceSerialNumber, DefaultDeviceSerialNumber)
	def(&o.SoftwareVersions, o.AlgorithmVersion)
	def(&o.SeriesDescription, description)
	if o.SeriesNumber == 0 {
		o.SeriesNumber = seriesNumber
	}
	if o.InstanceNumber == 0 {
		o.InstanceNumber = 1
	}
	if o.SeriesNumber < 0 || o.InstanceNumber < 0 {
		return nil, fmt.Errorf("seg: series number %d and instance number %d must not be negative", o.SeriesNumber, o.InstanceNumber)
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{
		{"AlgorithmName", o.AlgorithmName, 64}, {"AlgorithmVersion", o.AlgorithmVersion, 64},
		{"Manufacturer", o.Manufacturer, 64}, {"ManufacturerModelName", o.ManufacturerModelName, 64},
		{"DeviceSerialNumber", o.DeviceSerialNumber, 64}, {"SoftwareVersions", o.SoftwareVersions, 64},
		{"SeriesDescription", o.SeriesDescription, 64}, {"ModelHash", o.ModelHash, 128},
	} {
		if err := checkText(f.v, f.max); err != nil {
			return nil, fmt.Errorf("seg: Options.%s %q: %w", f.name, f.v, err)
		}
	}
	r := &resolved{Options: o, seriesUID: o.SeriesInstanceUID, sopUID: o.SOPInstanceUID}
	for _, u := range []*string{&r.seriesUID, &r.sopUID} {
		if *u == "" {
			v, err := NewUID(o.UIDRoot, o.Rand)
			if err != nil {
				return nil, err
			}
			*u = v
		} else if err := checkUID(*u); err != nil {
			return nil, fmt.Errorf("seg: Options UID %q: %w", *u, err)
		}
	}
	if r.seriesUID == r.sopUID {
		return nil, fmt.Errorf("seg: Options.SeriesInstanceUID and SOPInstanceUID are both %q", r.sopUID)
	}
	return r, nil
}

// newUID draws one more UID under the options' root.
func (r *resolved) newUID() (string, error) { return NewUID(r.UIDRoot, r.Rand) }

// date and clock format Now as DA and TM values; tz as a Timezone Offset
// From UTC ("+0100").
func (r *resolved) date() string  { return r.Now.Format("20060102") }
func (r *resolved) clock() string { return r.Now.Format("150405.000000") }
func (r *resolved) tz() string    { return r.Now.Format("-0700") }

// checkText accepts printable ASCII of at most max characters without a
// backslash (the value separator), as an LO or SH value written from an
// option must be.
func checkText(s string, max int) error {
	if len(s) > max {
		return fmt.Errorf("longer than %d characters", max)
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7E || c == '\\' {
			return fmt.Errorf("character %q at %d is not printable ASCII (or is a backslash)", c, i)
		}
	}
	return nil
}
