// Command int8acc compares int8 (and bf16) inference with float32 on
// images: the mean absolute probability difference and the Dice between
// the masks at -thr, per folder, pooled over pixels. The int8 model is
// calibrated on the -calib images (kept apart from the evaluated ones).
//
//	go run ./scripts/bench/int8acc -weights /tmp/demo/final.lungo -size 256 \
//	    -calib /tmp/demo/data/dicom-images-train -calib-skip 160 -n 40 \
//	    /tmp/demo/data/dicom-images-train /work/shared/data/siim-real/images
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/lungo-ml/lungo/data/dicom"
	"github.com/lungo-ml/lungo/data/siim"
	"github.com/lungo-ml/lungo/infer"
	"github.com/lungo-ml/lungo/kernels"
	"github.com/lungo-ml/lungo/models/unet"
	"github.com/lungo-ml/lungo/tensor"
)

func main() {
	weights := flag.String("weights", "", "model weights")
	size := flag.Int("size", 256, "side the model sees")
	limit := flag.Int("n", 40, "images per folder at most (the first in name order)")
	calib := flag.String("calib", "", "calibration folder")
	calibSkip := flag.Int("calib-skip", 0, "skip this many images of the calibration folder (so that they differ from the evaluated ones)")
	calibN := flag.Int("calib-n", 32, "calibration images")
	method := flag.String("method", "minmax", "minmax or percentile")
	thr := flag.Float64("thr", 0.5, "mask threshold")
	thresholds := flag.String("thresholds", "", "thresholds.json of lungo train: competition Dice with its triplet against DIR=LABELS.csv arguments")
	flag.Parse()
	m, err := unet.Open(*weights, nil)
	check(err)
	m.SetTraining(false)
	var cx []*tensor.Tensor
	for _, f := range listImages(*calib, *calibSkip+*calibN)[*calibSkip:] {
		cx = append(cx, load(f, *size))
	}
	meth, err := unet.ParseCalibrationMethod(*method)
	check(err)
	cal, err := unet.Calibrate(context.Background(), m, cx, meth)
	check(err)
	q, err := unet.NewInt8(m, cal)
	check(err)
	b, err := unet.NewBF16(m)
	check(err)
	fmt.Printf("int8 kernel %s, calibrated (%s) on %d images of %s from #%d; weights %s (%s); %dx%d\n",
		kernels.Int8Impls()[0], meth, len(cx), *calib, *calibSkip, *weights, m.Config.Describe(), *size, *size)
	var tr infer.Triplet
	if *thresholds != "" {
		b, err := os.ReadFile(*thresholds)
		check(err)
		var th struct {
			Triplet infer.Triplet `json:"triplet"`
		}
		check(json.Unmarshal(b, &th))
		tr = th.Triplet
	}
	for _, arg := range flag.Args() {
		dir, labelsPath, _ := strings.Cut(arg, "=")
		var labels *siim.Labels
		if labelsPath != "" && *thresholds != "" {
			labels, err = siim.ReadLabelsFile(labelsPath, 0, 0)
			check(err)
		}
		files := listImages(dir, *limit)
		var st [2]stats
		var comp [3]float64 // competition Dice sums: fp32, int8, bf16
		scored := 0
		for _, f := range files {
			x := load(f, *size)
			pf, err := m.Predict(x)
			check(err)
			probs := []*tensor.Tensor{pf}
			for i, p := range []unet.Predictor{q, b} {
				pq, err := p.Predict(x)
				check(err)
				st[i].add(pf.Data, pq.Data, float32(*thr))
				probs = append(probs, pq)
			}
			if labels == nil {
				continue
			}
			id := strings.TrimSuffix(filepath.Base(f), filepath.Ext(f))
			l := labels.Get(id)
			if l == nil {
				continue
			}
			g := readGray(f)
			h, w := g.Bounds().Dy(), g.Bounds().Dx()
			truth, err := l.Mask(h, w)
			check(err)
			for i, p := range probs {
				small := siim.NewMask(*size, *size)
				tr.Apply(small.Pix, p.Data)
				pred := siim.NewMask(h, w)
				siim.ResizeMaskNearest(pred, small)
				comp[i] += siim.Dice(pred, truth)
			}
			scored++
		}
		for i, name := range []string{"int8", "bf16"} {
			fmt.Printf("%s: %d images, %s: %s\n", dir, len(files), name, st[i])
		}
		if scored > 0 {
			fmt.Printf("%s: competition Dice (triplet %v) on %d labelled images: fp32 %.4f int8 %.4f bf16 %.4f\n",
				dir, tr, scored, comp[0]/float64(scored), comp[1]/float64(scored), comp[2]/float64(scored))
		}
	}
}

// stats pools the comparison of reduced-precision probabilities with
// float32's.
type stats struct {
	sumAbs, maxAbs    float64
	px                int
	inter, sumF, sumQ float64
	dices             []float64
}

func (s *stats) add(pf, pq []float32, thr float32) {
	var in, cf, cq float64
	for i := range pf {
		d := math.Abs(float64(pf[i] - pq[i]))
		s.sumAbs += d
		s.maxAbs = max(s.maxAbs, d)
		mf, mq := pf[i] > thr, pq[i] > thr
		if mf {
			cf++
		}
		if mq {
			cq++
		}
		if mf && mq {
			in++
		}
	}
	s.px += len(pf)
	s.inter, s.sumF, s.sumQ = s.inter+in, s.sumF+cf, s.sumQ+cq
	dice := 1.0
	if cf+cq > 0 {
		dice = 2 * in / (cf + cq)
	}
	s.dices = append(s.dices, dice)
}

func (s stats) String() string {
	pooled := 1.0
	if s.sumF+s.sumQ > 0 {
		pooled = 2 * s.inter / (s.sumF + s.sumQ)
	}
	sort.Float64s(s.dices)
	return fmt.Sprintf("mean |p - p_fp32| %.2e, max %.3f; Dice(fp32 mask, reduced mask) pooled %.4f, per image min %.4f median %.4f; mask pixels fp32 %.0f reduced %.0f",
		s.sumAbs/float64(s.px), s.maxAbs, pooled, s.dices[0], s.dices[len(s.dices)/2], s.sumF, s.sumQ)
}

func load(path string, size int) *tensor.Tensor {
	g := readGray(path)
	x := tensor.New(1, 1, size, size)
	small := siim.ResizeGraySquare(g, size)
	for y := 0; y < size; y++ {
		siim.ToUnit(x.Data[y*size:(y+1)*size], small.Pix[y*small.Stride:y*small.Stride+size])
	}
	siim.Normalize(x.Data, siim.DefaultMean, siim.DefaultStd)
	return x
}

func listImages(dir string, limit int) []string {
	var out []string
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

func readGray(path string) *image.Gray {
	if strings.HasSuffix(path, ".dcm") {
		g, err := dicom.ReadGray8File(path)
		check(err)
		return g
	}
	f, err := os.Open(path)
	check(err)
	defer f.Close()
	img, _, err := image.Decode(f)
	check(err)
	return siim.Gray8(img)
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
