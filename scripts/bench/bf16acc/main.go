// Command bf16acc compares bf16 inference with float32 on images: the mean
// absolute probability difference and the Dice between the two 0.5-masks,
// per image and pooled.
//
//	go run ./scripts/bench/bf16acc -weights /tmp/demo/final.lungo -size 256 \
//	    /tmp/demo/data/dicom-images-train /work/shared/data/siim-real/images
package main

import (
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
	"github.com/lungo-ml/lungo/kernels"
	"github.com/lungo-ml/lungo/models/unet"
	"github.com/lungo-ml/lungo/tensor"
)

func main() {
	weights := flag.String("weights", "", "model weights")
	size := flag.Int("size", 256, "side the model sees")
	limit := flag.Int("n", 20, "images per folder at most")
	flag.Parse()
	m, err := unet.Open(*weights, nil)
	check(err)
	m.SetTraining(false)
	b, err := unet.NewBF16(m)
	check(err)
	fmt.Printf("bf16 kernel: %s; weights %s; %dx%d\n", kernels.BF16Impls()[0], *weights, *size, *size)
	for _, dir := range flag.Args() {
		files := listImages(dir, *limit)
		var sumAbs, maxAbs float64
		var inter, sumF, sumB float64 // pooled Dice of the masks
		var px int
		var dices []float64
		for _, f := range files {
			g := readGray(f)
			x := tensor.New(1, 1, *size, *size)
			small := siim.ResizeGraySquare(g, *size)
			for y := 0; y < *size; y++ {
				siim.ToUnit(x.Data[y**size:(y+1)**size], small.Pix[y*small.Stride:y*small.Stride+*size])
			}
			siim.Normalize(x.Data, siim.DefaultMean, siim.DefaultStd)
			pf, err := m.Predict(x)
			check(err)
			pb, err := b.Predict(x)
			check(err)
			var in, cf, cb float64
			for i := range pf.Data {
				d := math.Abs(float64(pf.Data[i] - pb.Data[i]))
				sumAbs += d
				maxAbs = max(maxAbs, d)
				mf, mb := pf.Data[i] > 0.5, pb.Data[i] > 0.5
				if mf {
					cf++
				}
				if mb {
					cb++
				}
				if mf && mb {
					in++
				}
			}
			px += len(pf.Data)
			inter, sumF, sumB = inter+in, sumF+cf, sumB+cb
			dice := 1.0
			if cf+cb > 0 {
				dice = 2 * in / (cf + cb)
			}
			dices = append(dices, dice)
		}
		pooled := 1.0
		if sumF+sumB > 0 {
			pooled = 2 * inter / (sumF + sumB)
		}
		sort.Float64s(dices)
		fmt.Printf("%s: %d images: mean |p_bf16 - p_fp32| %.2e, max %.3f; Dice(fp32 mask, bf16 mask) pooled %.4f, per image min %.4f median %.4f; mask pixels fp32 %.0f bf16 %.0f\n",
			dir, len(files), sumAbs/float64(px), maxAbs, pooled, dices[0], dices[len(dices)/2], sumF, sumB)
	}
}

func listImages(dir string, limit int) []string {
	var out []string
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && len(out) < limit {
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
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
