// Command int8hash prints a SHA-256 of the int8 U-Net's probabilities for
// a few image sizes and thread counts (random ResNet34 model calibrated on
// a random image, or -weights): a kernel or layout change that keeps the
// arithmetic must keep every line.
//
//	go run ./scripts/bench/int8hash [-weights final.lungo]
package main

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"flag"
	"fmt"
	"math"
	"os"

	"github.com/lungo-ml/lungo/kernels"
	"github.com/lungo-ml/lungo/models/unet"
	"github.com/lungo-ml/lungo/tensor"
)

func main() {
	weights := flag.String("weights", "", "model weights (default: random ResNet34)")
	flag.Parse()
	var m *unet.Model
	if *weights != "" {
		var err error
		m, err = unet.Open(*weights, nil)
		check(err)
	} else {
		cfg, _ := unet.ParseArch("resnet34", 1)
		m = unet.MustNew(cfg, tensor.NewRNG(1))
	}
	m.SetTraining(false)
	cal, err := unet.Calibrate(context.Background(), m, []*tensor.Tensor{tensor.NewRNG(3).Randn(1, 1, 96, 96)}, unet.MinMax)
	check(err)
	q, err := unet.NewInt8(m, cal)
	check(err)
	for _, s := range [][3]int{{1, 256, 256}, {2, 77, 130}, {1, 512, 512}} {
		x := tensor.NewRNG(uint64(s[1])).Randn(s[0], 1, s[1], s[2])
		for _, t := range []int{1, 2, 3} {
			kernels.SetThreads(t)
			p, err := q.Predict(x)
			check(err)
			h := sha256.New()
			for _, v := range p.Data {
				h.Write(binary.LittleEndian.AppendUint32(nil, math.Float32bits(v)))
			}
			fmt.Printf("%dx%dx%d threads %d: %x\n", s[0], s[1], s[2], t, h.Sum(nil)[:12])
		}
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
