package siim

import (
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"
	"sort"

	"github.com/lungo-ml/lungo/data/dicom"
	"github.com/lungo-ml/lungo/tensor"
)

// Synthetic SIIM data: frontal chest-radiograph-like 8-bit images, some
// with a pneumothorax, written exactly like the stage-1 training set so
// that every code path (DICOM, CSV, dataset, loader, metric) runs on data
// a test can make. The picture (display values, bright = dense):
//
//   - air outside the body is the darkest region, soft tissue mid-grey;
//   - two lung fields, dark, with lung markings: a mottled parenchyma and
//     thin bright branching vessels that fade toward the periphery;
//   - posterior ribs as bright curved bands and the clavicles;
//   - the mediastinum, heart and spine bright in the middle, the
//     diaphragm and abdomen bright below;
//   - optional skin folds: thin bright curves over a lung that, unlike a
//     pleural line, leave the lung markings intact;
//   - low-frequency shading, pixel noise, and a per-image contrast,
//     brightness and gamma, so absolute grey levels vary between images.
//
// A pneumothorax is a crescent at the apex or the lateral edge of one
// lung (or both at once, apicolateral) where the lung has collapsed away
// from the chest wall: inside it the lung markings and rib contrast are
// gone (uniform, slightly darker than the lung background), and it is
// edged by a thin bright visceral pleural line. Its intensity equals that
// of the darker parts of the normal lung, so a global threshold cannot
// find it (ThresholdBaseline measures that), while its lost texture and
// its edge make it learnable by a small U-Net at 128 x 128.

// SynthConfig configures WriteSynth.
type SynthConfig struct {
	N                int     // number of images
	Size             int     // side in pixels; default DefaultSize (1024)
	Seed             uint64  // everything is a function of the seed
	PositiveFraction float64 // default 0.22 (SIIM stage 1: 2379 of 10675)
	Quality          int     // JPEG quality; default 95
}

func (c *SynthConfig) defaults() {
	if c.Size == 0 {
		c.Size = DefaultSize
	}
	if c.PositiveFraction == 0 {
		c.PositiveFraction = 0.22
	}
	if c.Quality == 0 {
		c.Quality = 95
	}
}

// SynthSummary describes what WriteSynth wrote.
type SynthSummary struct {
	Labels    string   // path of train-rle.csv
	Images    []string // DICOM paths, in image order
	IDs       []string // SOP instance UIDs, in image order
	Positives int
}

// SynthPositives returns, for n images, which carry a pneumothorax:
// exactly round(frac*n) of them, chosen by seed.
func SynthPositives(n int, frac float64, seed uint64) []bool {
	pos := make([]bool, n)
	k := int(math.Round(frac * float64(n)))
	for _, i := range tensor.NewRNG(mixSeed(seed, 0x9051, 0)).Perm(n)[:min(k, n)] {
		pos[i] = true
	}
	return pos
}

// synthUIDs returns the study, series and SOP instance UIDs of image i,
// shaped like SIIM's (1.2.276.0.7230010.3.1.{2,3,4}.8323329.<n>.<t>.<r>).
func synthUIDs(i int, seed uint64) (study, series, sop string) {
	r := mixSeed(seed, uint64(i), 0x51d)
	t := 1517875000 + r%300
	tail := fmt.Sprintf("%d.%d.%d", 1000+i, t, 100000+(r>>20)%900000)
	return "1.2.276.0.7230010.3.1.2.8323329." + tail,
		"1.2.276.0.7230010.3.1.3.8323329." + tail,
		"1.2.276.0.7230010.3.1.4.8323329." + tail
}

// WriteSynth writes cfg.N synthetic images under dir in the stage-1
// layout: dir/dicom-images-train/<study>/<series>/<sop>.dcm (8-bit JPEG
// baseline secondary captures via dicom.WriteJPEGSecondaryCapture) and
// dir/train-rle.csv (header "ImageId, EncodedPixels", values after ", ",
// " -1" for an empty mask, masks encoded at cfg.Size). The output depends
// only on cfg.
func WriteSynth(dir string, cfg SynthConfig) (*SynthSummary, error) {
	cfg.defaults()
	if cfg.N <= 0 || cfg.Size < 16 {
		panicf("WriteSynth: %d images of %d pixels", cfg.N, cfg.Size)
	}
	pos := SynthPositives(cfg.N, cfg.PositiveFraction, cfg.Seed)
	sum := &SynthSummary{Labels: filepath.Join(dir, "train-rle.csv")}
	preds := make([]Prediction, 0, cfg.N)
	for i := range cfg.N {
		img, m := SynthImage(mixSeed(cfg.Seed, uint64(i), 0x1ab), cfg.Size, pos[i])
		study, series, sop := synthUIDs(i, cfg.Seed)
		path := filepath.Join(dir, "dicom-images-train", study, series, sop+".dcm")
		if err := writeSynthDICOM(path, img, i, cfg, study, series, sop); err != nil {
			return nil, err
		}
		sum.Images = append(sum.Images, path)
		sum.IDs = append(sum.IDs, sop)
		if pos[i] {
			sum.Positives++
		}
		preds = append(preds, Prediction{ImageID: sop, Mask: m})
	}
	// The real file is not in image order; sorting by id is as good.
	sort.Slice(preds, func(a, b int) bool { return preds[a].ImageID < preds[b].ImageID })
	f, err := os.Create(sum.Labels)
	if err != nil {
		return nil, err
	}
	if err := WriteTrainRLE(f, preds); err != nil {
		f.Close()
		return nil, err
	}
	return sum, f.Close()
}

func writeSynthDICOM(path string, img *image.Gray, i int, cfg SynthConfig, study, series, sop string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	r := mixSeed(cfg.Seed, uint64(i), 0xd1c)
	pid := fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", uint32(r), uint16(r>>32), uint16(r>>48), uint16(r>>8), r&0xffffffffffff)
	sex, view := "M", "PA"
	if r&(1<<40) != 0 {
		sex = "F"
	}
	if r&(1<<41) != 0 {
		view = "AP"
	}
	spacing := 0.168 * float64(DefaultSize) / float64(cfg.Size)
	meta := dicom.SecondaryCapture{
		SOPInstanceUID: sop, StudyInstanceUID: study, SeriesInstanceUID: series,
		PatientID: pid, PatientName: pid, PatientSex: sex,
		PatientAge: fmt.Sprint(18 + r%70), ViewPosition: view,
		PixelSpacing: [2]float64{spacing, spacing}, Quality: cfg.Quality,
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := dicom.WriteJPEGSecondaryCapture(f, img, meta); err != nil {
		f.Close()
		return fmt.Errorf("siim: %s: %w", path, err)
	}
	return f.Close()
}

// SynthImage draws one synthetic radiograph of size x size and its mask
// (empty unless positive). The result depends only on (seed, size,
// positive).
func SynthImage(seed uint64, size int, positive bool) (*image.Gray, *Mask) {
	img, m, _ := synthImage(seed, size, positive)
	return img, m
}

// ellipse is an axis-aligned ellipse in unit coordinates ([0,1]^2 over the
// image), with an optional wobble of its implicit function.
type ellipse struct {
	cx, cy, rx, ry float64
	taper          float64 // rx grows by this fraction from centre to base
	wobble         *noise  // nil: none
	wobbleAmp      float64
}

// dist returns an approximate signed distance (unit coordinates) from
// (u, v) to the boundary: negative inside.
func (e *ellipse) dist(u, v float64) float64 {
	rx := e.rx * (1 + e.taper*(v-e.cy)/e.ry)
	rx = math.Max(rx, 0.2*e.rx)
	dx, dy := (u-e.cx)/rx, (v-e.cy)/e.ry
	f := dx*dx + dy*dy - 1
	if e.wobble != nil {
		f += e.wobbleAmp * e.wobble.at(u, v)
	}
	gx, gy := 2*dx/rx, 2*dy/e.ry
	g := math.Sqrt(gx*gx + gy*gy)
	if g < 1e-9 {
		return -math.Min(e.rx, e.ry)
	}
	return f / g
}

// noise is smooth value noise on a square lattice over the unit square.
type noise struct {
	n    int // lattice cells per side
	vals []float64
}

func newNoise(rng *tensor.RNG, cells int) *noise {
	nz := &noise{n: cells, vals: make([]float64, (cells+2)*(cells+2))}
	for i := range nz.vals {
		nz.vals[i] = 2*rng.Float64() - 1
	}
	return nz
}

// at returns the noise at (u, v) in unit coordinates, in [-1, 1].
func (nz *noise) at(u, v float64) float64 {
	x, y := math.Max(u, 0)*float64(nz.n), math.Max(v, 0)*float64(nz.n)
	ix, iy := min(int(x), nz.n), min(int(y), nz.n)
	fx, fy := x-float64(ix), y-float64(iy)
	fx, fy = fx*fx*(3-2*fx), fy*fy*(3-2*fy) // smoothstep
	w := nz.n + 2
	a := nz.vals[iy*w+ix]*(1-fx) + nz.vals[iy*w+ix+1]*fx
	b := nz.vals[(iy+1)*w+ix]*(1-fx) + nz.vals[(iy+1)*w+ix+1]*fx
	return a*(1-fy) + b*fy
}

func smoothstep(e0, e1, x float64) float64 {
	t := math.Min(math.Max((x-e0)/(e1-e0), 0), 1)
	return t * t * (3 - 2*t)
}

// segDist returns the distance from (u, v) to the segment a-b.
func segDist(u, v, ax, ay, bx, by float64) float64 {
	dx, dy := bx-ax, by-ay
	t := math.Min(math.Max(((u-ax)*dx+(v-ay)*dy)/(dx*dx+dy*dy), 0), 1)
	return math.Hypot(u-ax-t*dx, v-ay-t*dy)
}

// synthImage also returns the union of the lung fields (for tests of
// what a texture cue can find).
func synthImage(seed uint64, size int, positive bool) (*image.Gray, *Mask, *Mask) {
	if size < 16 {
		panicf("SynthImage: size %d < 16", size)
	}
	rng := tensor.NewRNG(seed)
	j := func(a float64) float64 { return a * (2*rng.Float64() - 1) } // jitter in ±a
	px := 1 / float64(size)                                           // one pixel in unit coordinates

	body := ellipse{cx: 0.5 + j(0.01), cy: 0.6, rx: 0.47 + j(0.03), ry: 0.62}
	var lungs [2]ellipse
	for s, sign := range [2]float64{-1, 1} {
		lungs[s] = ellipse{cx: 0.5 + sign*(0.2+j(0.015)), cy: 0.47 + j(0.02), rx: 0.155 + j(0.015), ry: 0.31 + j(0.025), taper: 0.3 + j(0.08)}
	}
	heart := ellipse{cx: 0.55 + j(0.02), cy: 0.67 + j(0.02), rx: 0.15 + j(0.02), ry: 0.12 + j(0.015)}
	mediastinum := 0.07 + j(0.008) // half-width
	diaphragm := 0.77 + j(0.02)

	tissueN := newNoise(rng, 4)
	lungBaseN := newNoise(rng, 5)
	mottleN := newNoise(rng, 18)
	mottleN2 := newNoise(rng, 36)
	vesselN := newNoise(rng, 9)
	vesselN2 := newNoise(rng, 17)
	vesselN3 := newNoise(rng, 29)
	tissue := 108 + j(8)
	lungBase := 56 + j(6)
	mottleAmp := 9 + j(1.5)
	vesselAmp := 46 + j(8)
	ribAmp := 20 + j(5)
	ribY0 := 0.12 + j(0.015)
	ribGap := 0.07 + j(0.005)

	// Pneumothorax: a crescent between a lung and its collapsed copy.
	ptxSide := -1
	var collapsed ellipse
	if positive {
		ptxSide = rng.IntN(2)
		l := lungs[ptxSide]
		collapsed = l
		depth := 0.012 + 0.03*rng.Float64() // half the crescent's width
		kind := rng.IntN(3)                 // 0 apical, 1 lateral, 2 both
		if kind != 1 {                      // the top edge drops by 2*depth
			collapsed.cy += depth
			collapsed.ry -= depth
		}
		if kind != 0 { // the lateral edge moves in by 2*depth
			lat := 1.0
			if ptxSide == 0 {
				lat = -1
			}
			d := depth * (0.8 + 0.4*rng.Float64())
			collapsed.cx -= lat * d
			collapsed.rx -= d
		}
		collapsed.wobble, collapsed.wobbleAmp = newNoise(rng, 6), 0.05
	}
	pleuraW := math.Max(1.2*px, 0.0045) // half-width of the pleural line
	pleuraAmp := 38 + j(6)

	// Skin fold: an arc across one lung, markings intact on both sides.
	fold := rng.Float64() < 0.3
	fx, fy, fr := 0.0, 0.0, 0.0
	if fold {
		l := lungs[rng.IntN(2)]
		fr = 0.25 + 0.2*rng.Float64()
		out := 1.0
		if l.cx < 0.5 {
			out = -1
		}
		fx, fy = l.cx+out*(0.05+0.05*rng.Float64())-out*fr, l.cy+j(0.1)
	}

	gx, gy := j(14), j(14)               // shading gradient
	contrast, bright := 1+j(0.28), j(32) // per-image display
	gamma := math.Exp(j(0.25))           // per-image gamma
	noiseSD := 3 + 2*rng.Float64()       // pixel noise
	clavY := 0.15 + j(0.02)              // clavicle height
	var clav [2][4]float64               // segments
	for s, sign := range [2]float64{-1, 1} {
		clav[s] = [4]float64{0.5 + sign*0.05, clavY + 0.05, 0.5 + sign*0.33, clavY - 0.03 + j(0.01)}
	}

	var gammaLUT [1021]uint8 // display value*4 -> gamma-corrected byte
	for q := range gammaLUT {
		gammaLUT[q] = clampByte(float32(255 * math.Pow(float64(q)/1020, gamma)))
	}
	img := image.NewGray(image.Rect(0, 0, size, size))
	m := NewMask(size, size)
	lungMask := NewMask(size, size)
	edge := math.Max(1.5*px, 0.004) // soft edge width of organs
	for y := range size {
		v := (float64(y) + 0.5) * px
		for x := range size {
			u := (float64(x) + 0.5) * px
			// Body and soft tissue.
			inBody := 1 - smoothstep(-edge, edge, body.dist(u, v))
			val := 14 + inBody*(tissue+10*tissueN.at(u, v)-14)
			val += inBody * 30 * smoothstep(diaphragm-0.05, diaphragm+0.05, v) // abdomen
			// Mediastinum, heart and spine.
			med := 1 - smoothstep(mediastinum-edge, mediastinum+edge, math.Abs(u-0.5))
			med *= smoothstep(0.06, 0.12, v)
			hrt := 1 - smoothstep(-edge, edge, heart.dist(u, v))
			dense := math.Max(med, hrt)
			val += dense * (62 + 6*tissueN.at(v, u))
			if spine := (1 - smoothstep(0.035, 0.045, math.Abs(u-0.5))) * inBody; spine > 0 {
				c := math.Cos(math.Pi * v / 0.048)
				val += spine * (22 + 8*c*c)
			}
			// Lungs.
			lung, side := 0.0, -1
			for s := range lungs {
				d := lungs[s].dist(u, v)
				if d < edge {
					l := (1 - smoothstep(-edge, edge, d)) * (1 - dense)
					if v > diaphragm {
						l *= 1 - smoothstep(diaphragm, diaphragm+0.03, v)
					}
					if l > lung {
						lung, side = l, s
					}
				}
			}
			ptx := 0.0 // 1 inside the pneumothorax
			if side >= 0 && side == ptxSide {
				ptx = smoothstep(-0.5*px, 0.5*px, collapsed.dist(u, v))
			}
			markings := 1 - ptx
			if lung > 0 {
				base := lungBase + 6*lungBaseN.at(u, v)
				l := &lungs[side]
				r := math.Hypot((u-l.cx)/l.rx, (v-l.cy)/l.ry) // 0 centre, 1 edge
				fade := 1 - 0.45*math.Min(r, 1)
				mottle := mottleAmp * (0.65*mottleN.at(u, v) + 0.35*mottleN2.at(u, v))
				// Vessels: thin bright lines along the zero sets of two
				// noise fields.
				r1 := math.Max(0, 1-math.Abs(vesselN.at(u, v))/0.09)
				r2 := math.Max(0, 1-math.Abs(vesselN2.at(u, v))/0.07)
				r3 := math.Max(0, 1-math.Abs(vesselN3.at(u, v))/0.06)
				vessel := vesselAmp * fade * math.Max(r1*r1, math.Max(0.75*r2*r2, 0.5*r3*r3))
				lungVal := base + markings*(mottle+vessel) - ptx*2
				val = val*(1-lung) + lungVal*lung
			}
			// Ribs: bright bands, fainter over soft tissue, none in the
			// pneumothorax.
			dl := math.Abs(u - 0.5)
			if dl > 0.04 && inBody > 0 {
				rib := 0.0
				curve := -0.3*dl + 1.6*dl*dl
				near := int(math.Floor((v - ribY0 - curve) / ribGap))
				for i := max(near-1, 0); i <= min(near+2, 9); i++ {
					yc := ribY0 + ribGap*float64(i) + curve
					h := 0.009 + 0.0006*float64(i)
					t := (v - yc) / h
					if t2 := t * t; t2 < 9 {
						rib = math.Max(rib, math.Exp(-t2*t2))
					}
				}
				amp := ribAmp * (0.55 + 0.45*lung) * (1 - dense) * inBody
				val += amp * rib * (1 - ptx)
			}
			// Clavicles.
			for s := range clav {
				if v > 0.3 {
					break
				}
				c := clav[s]
				d := segDist(u, v, c[0], c[1], c[2], c[3])
				val += 28 * inBody * (1 - smoothstep(0.010, 0.016, d))
			}
			// The visceral pleural line along the collapsed lung's edge.
			if side >= 0 && side == ptxSide {
				d := collapsed.dist(u, v)
				in := lungs[side].dist(u, v)
				if in < 0 {
					t := (d + pleuraW*0.5) / pleuraW
					val += pleuraAmp * math.Exp(-t*t*2) * lung
				}
				if ptx >= 0.5 && in < 0 && lung > 0.5 {
					m.Pix[y*size+x] = 1
				}
			}
			if lung > 0.5 {
				lungMask.Pix[y*size+x] = 1
			}
			// A skin fold crosses the lung without changing its markings.
			if fold {
				d := math.Abs(math.Hypot(u-fx, v-fy) - fr)
				t := d / pleuraW
				val += 0.8 * pleuraAmp * math.Exp(-t*t*2) * lung
			}
			// Shading, noise, per-image display.
			val += gx*(u-0.5) + gy*(v-0.5)
			val += noiseSD * float64(rng.Normal())
			val = 128 + contrast*(val-128) + bright
			q := int(math.Min(math.Max(val, 0), 255) * 4)
			img.Pix[y*size+x] = gammaLUT[q]
		}
	}
	return img, m, lungMask
}

// ThresholdResult is the plain-intensity-threshold baseline: predict
// "pneumothorax" for every pixel darker than T, one T for all images.
type ThresholdResult struct {
	// T is the threshold (0..256) with the best mean Dice over the
	// positive images, chosen on the same images (an optimistic oracle).
	T int
	// PositiveDice is that best mean Dice over the positive images.
	PositiveDice float64
	// Score is the competition metric at T over all images.
	Score float64
	// EmptyScore is the competition metric of predicting nothing at all
	// (the fraction of negative images), the bar any model must pass.
	EmptyScore float64
}

// ThresholdBaseline evaluates the plain-intensity-threshold baseline on
// images and their masks (same sizes, pairwise). It panics if the slices
// differ in length, are empty, or a mask does not match its image.
func ThresholdBaseline(imgs []*image.Gray, masks []*Mask) ThresholdResult {
	if len(imgs) != len(masks) || len(imgs) == 0 {
		panicf("ThresholdBaseline: %d images and %d masks", len(imgs), len(masks))
	}
	// Per image, histograms of all pixels and of mask pixels: pixels
	// below t are cumulative sums.
	var posDice, allDice [257]float64
	npos := 0
	for k, img := range imgs {
		b := img.Bounds()
		m := masks[k]
		if m.H != b.Dy() || m.W != b.Dx() {
			panicf("ThresholdBaseline: image %d is %dx%d, mask %dx%d", k, b.Dy(), b.Dx(), m.H, m.W)
		}
		var all, in [256]int
		for y := range m.H {
			row := img.Pix[y*img.Stride : y*img.Stride+m.W]
			for x, p := range row {
				all[p]++
				if m.Pix[y*m.W+x] != 0 {
					in[p]++
				}
			}
		}
		nt := m.Count()
		np, ni := 0, 0
		for t := 0; t <= 256; t++ {
			if t > 0 {
				np += all[t-1]
				ni += in[t-1]
			}
			d := diceCounts(ni, np, nt)
			allDice[t] += d
			if nt > 0 {
				posDice[t] += d
			}
		}
		if nt > 0 {
			npos++
		}
	}
	r := ThresholdResult{EmptyScore: allDice[0] / float64(len(imgs))}
	if npos == 0 {
		r.PositiveDice = math.NaN()
		r.Score = r.EmptyScore
		return r
	}
	for t := range posDice {
		if posDice[t] > posDice[r.T] {
			r.T = t
		}
	}
	r.PositiveDice = posDice[r.T] / float64(npos)
	r.Score = allDice[r.T] / float64(len(imgs))
	return r
}
