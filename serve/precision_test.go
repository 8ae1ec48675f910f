package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"os"
	"sync"
	"testing"

	"github.com/lungo-ml/lungo/data/siim"
	"github.com/lungo-ml/lungo/infer"
	"github.com/lungo-ml/lungo/models/unet"
)

// A server with a bf16 model answers with what a direct bf16 prediction
// gives, from every worker at once, and says so in the JSON; its
// probabilities are not the float32 ones (the bf16 path really ran).
func TestPredictBF16(t *testing.T) {
	jpg, err := os.ReadFile(sharedFile(t, "siim-real/images/1.2.276.0.7230010.3.1.4.8323329.1000.1517875165.878027.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	src, _, err := image.Decode(bytes.NewReader(jpg))
	if err != nil {
		t.Fatal(err)
	}
	gray := toGray(src)
	var body bytes.Buffer
	png.Encode(&body, gray)

	m := testModel(t)
	bf, err := unet.NewBF16(m)
	if err != nil {
		t.Fatal(err)
	}
	s := New(m, Options{Workers: 2, Size: testSize, Log: quietLog(), Arch: m.Config.Describe(), Reduced: bf})
	url := start(t, s)
	if err := s.Warm(context.Background()); err != nil {
		t.Fatal(err)
	}
	direct := func(p infer.Predictor) infer.Result {
		res, err := infer.PredictImages(context.Background(), p, []string{""}, []*image.Gray{gray},
			infer.Config{Size: testSize, Batch: 1, Triplet: infer.Triplet{Top: 0.5, Bottom: 0.5}})
		if err != nil {
			t.Fatal(err)
		}
		return res[0]
	}
	want := direct(infer.Predictor{Model: m, Reduced: bf})
	fp32 := direct(infer.Predictor{Model: m})
	maxP, maxP32 := float32(0), float32(0)
	for i, p := range want.Prob {
		maxP, maxP32 = max(maxP, p), max(maxP32, fp32.Prob[i])
	}
	if maxP == maxP32 {
		t.Fatalf("bf16 and fp32 give the same top probability %g: is the bf16 path running?", maxP)
	}

	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, b := post(t, url+"/v1/predict", "image/png", body.Bytes())
			if resp.StatusCode != 200 {
				t.Errorf("status %d: %s", resp.StatusCode, b)
				return
			}
			var r Result
			if err := json.Unmarshal(b, &r); err != nil {
				t.Error(err)
				return
			}
			if r.Model.Precision != "bf16" {
				t.Errorf("precision %q, want bf16", r.Model.Precision)
			}
			if r.Probability != maxP || r.RLE != siim.EncodeRLE(want.Mask) {
				t.Errorf("served probability %g (area %d), direct bf16 %g (area %d), fp32 %g", r.Probability, r.MaskArea, maxP, want.Mask.Count(), maxP32)
			}
		}()
	}
	wg.Wait()

	// The float32 server says fp32.
	s32, _ := newTestServer(t, Options{})
	resp, b := post(t, start(t, s32)+"/v1/predict", "image/png", body.Bytes())
	var r Result
	if err := json.Unmarshal(b, &r); err != nil || resp.StatusCode != 200 || r.Model.Precision != "fp32" {
		t.Errorf("fp32 server: status %d, precision %q, %v", resp.StatusCode, r.Model.Precision, err)
	}
}
