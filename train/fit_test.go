package train

import (
	"context"
	"errors"
	"image"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/lungo-ml/lungo/data/siim"
	"github.com/lungo-ml/lungo/models/unet"
	"github.com/lungo-ml/lungo/nn"
	"github.com/lungo-ml/lungo/optim"
	"github.com/lungo-ml/lungo/tensor"
)

// memSource is a siim.Source of synthetic images held in memory.
type memSource struct {
	imgs  []*image.Gray
	masks []*siim.Mask
	pos   []bool
}

func newMemSource(n, size int, seed uint64) *memSource {
	s := &memSource{}
	for i := 0; i < n; i++ {
		pos := i%3 == 0
		img, m := siim.SynthImage(seed+uint64(i), size, pos)
		s.imgs, s.masks, s.pos = append(s.imgs, img), append(s.masks, m), append(s.pos, pos)
	}
	return s
}

func (s *memSource) Len() int            { return len(s.imgs) }
func (s *memSource) ID(i int) string     { return "img" + string(rune('a'+i)) }
func (s *memSource) Positive(i int) bool { return s.pos[i] }
func (s *memSource) Load(i int) (*image.Gray, *siim.Mask, error) {
	return s.imgs[i], s.masks[i], nil
}

const testSize = 32

func tinyConfig() unet.Config {
	return unet.Config{Encoder: "resnet18", InChannels: 1, Classes: 1, DecoderChannels: []int{16, 8, 8, 8, 8}}
}

// newJob builds a small, deterministic job: 6 training and 3 validation
// images of 32x32, batch 2, AdamW with a per-step cosine schedule.
func newJob(t *testing.T, src *memSource) *Job {
	t.Helper()
	m, err := unet.New(tinyConfig(), tensor.NewRNG(7))
	if err != nil {
		t.Fatal(err)
	}
	opt := optim.NewAdamW(nn.Parameters(m), optim.DefaultAdamW(1e-3))
	aug := siim.DefaultAugment()
	train := siim.NewLoader(src, siim.LoaderConfig{Size: testSize, Batch: 2, Workers: 2, Seed: 3, Augment: &aug})
	val := siim.NewLoader(src, siim.LoaderConfig{Size: testSize, Batch: 2, Workers: 1})
	return &Job{
		Model: m, Opt: opt,
		StepSchedule: optim.NewWarmupCosine(opt, 2, 12, 0.1),
		Train:        train, TrainIdx: []int{0, 1, 2, 3, 4, 5}, TrainPos: src.pos[:6],
		Val: val, ValIdx: []int{6, 7, 8},
	}
}

func weights(m nn.Module) []float32 {
	var out []float32
	sd := nn.StateDictOf(m)
	for _, k := range sd.Keys {
		out = append(out, sd.Tensors[k].Data...)
	}
	return out
}

func TestFitResumeEqualsStraightRun(t *testing.T) {
	src := newMemSource(9, testSize, 100)
	frac := func(epoch int) float64 { return []float64{0, 0.8, 0.6, 0.5, 0.4}[epoch] }

	straightDir := t.TempDir()
	a := newJob(t, src)
	ra, err := Fit(context.Background(), a, Config{Dir: straightDir, Epochs: 4, Seed: 1, PositiveFraction: frac, AccumSteps: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(ra.History) != 4 {
		t.Fatalf("history has %d epochs, want 4", len(ra.History))
	}

	dir := t.TempDir()
	b := newJob(t, src)
	if _, err := Fit(context.Background(), b, Config{Dir: dir, Epochs: 2, Seed: 1, PositiveFraction: frac, AccumSteps: 2}); err != nil {
		t.Fatal(err)
	}
	c := newJob(t, src) // a fresh process: new model, optimizer and schedule
	rc, err := Fit(context.Background(), c, Config{Dir: dir, Epochs: 4, Seed: 1, PositiveFraction: frac, AccumSteps: 2, Resume: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rc.History) != 4 {
		t.Fatalf("resumed history has %d epochs, want 4", len(rc.History))
	}
	// The kernels split work the same way for the same thread count, so the
	// runs agree bit for bit; allow float32 rounding noise all the same.
	wa, wc := weights(a.Model), weights(c.Model)
	if i, d, ok := tensor.MaxDiff(wc, wa, 1e-6, 1e-5); !ok {
		t.Fatalf("resumed weights differ from the straight run: element %d off by %g", i, d)
	}
	if math.Abs(a.Opt.LR()-c.Opt.LR()) > 1e-12 {
		t.Fatalf("learning rate %g after resume, %g straight", c.Opt.LR(), a.Opt.LR())
	}
	for i := range ra.History {
		if d := math.Abs(ra.History[i].TrainLoss - rc.History[i].TrainLoss); d > 1e-5 {
			t.Fatalf("epoch %d loss %g resumed vs %g straight", i+1, rc.History[i].TrainLoss, ra.History[i].TrainLoss)
		}
	}
	for _, f := range []string{StateFile, BestFile, FinalFile, MetricsFile, CurvesFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("run folder lacks %s: %v", f, err)
		}
	}
}

func TestFitCancelMidEpochThenResume(t *testing.T) {
	src := newMemSource(9, testSize, 200)
	straight := newJob(t, src)
	if _, err := Fit(context.Background(), straight, Config{Dir: t.TempDir(), Epochs: 2, Seed: 5}); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	j := newJob(t, src)
	ctx, cancel := context.WithCancel(context.Background())
	steps := 0
	_, err := Fit(ctx, j, Config{Dir: dir, Epochs: 2, Seed: 5, AfterStep: func(s StepInfo) error {
		steps++
		if s.Epoch == 2 && s.Step == 1 {
			cancel() // Ctrl-C in the middle of epoch 2
		}
		return nil
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want one wrapping context.Canceled", err)
	}
	j2 := newJob(t, src)
	if _, err := Fit(context.Background(), j2, Config{Dir: dir, Epochs: 2, Seed: 5, Resume: true}); err != nil {
		t.Fatal(err)
	}
	if i, d, ok := tensor.MaxDiff(weights(j2.Model), weights(straight.Model), 1e-6, 1e-5); !ok {
		t.Fatalf("cancel+resume differs from the straight run: element %d off by %g", i, d)
	}
}

func TestFitNaNLossKeepsLastCheckpoint(t *testing.T) {
	src := newMemSource(9, testSize, 300)
	dir := t.TempDir()
	j := newJob(t, src)
	if _, err := Fit(context.Background(), j, Config{Dir: dir, Epochs: 1, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(filepath.Join(dir, StateFile))
	if err != nil {
		t.Fatal(err)
	}
	j2 := newJob(t, src)
	calls := 0
	j2.Loss = func(mask, class *nn.Value, b *siim.Batch) *nn.Value {
		calls++
		l := DefaultLoss(mask, class, b)
		if calls == 2 {
			return nn.Scale(l, float32(math.NaN()))
		}
		return l
	}
	_, err = Fit(context.Background(), j2, Config{Dir: dir, Epochs: 2, Seed: 1, Resume: true})
	var nf *NonFiniteLossError
	if !errors.As(err, &nf) {
		t.Fatalf("err = %v, want a NonFiniteLossError", err)
	}
	if nf.Epoch != 2 || nf.Batch != 1 || len(nf.IDs) == 0 {
		t.Fatalf("error names epoch %d batch %d images %v; want epoch 2, batch 1 and the images", nf.Epoch, nf.Batch, nf.IDs)
	}
	after, err := os.ReadFile(filepath.Join(dir, StateFile))
	if err != nil {
		t.Fatal(err)
	}
	if string(before) != string(after) {
		t.Fatal("the NaN run changed the last good state file")
	}
}

func TestFitTopKAverageAndEMA(t *testing.T) {
	src := newMemSource(9, testSize, 400)
	dir := t.TempDir()
	j := newJob(t, src)
	res, err := Fit(context.Background(), j, Config{Dir: dir, Epochs: 3, Seed: 1, TopK: 2, EMADecay: 0.9})
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "epoch-*.lungo"))
	if len(files) != 2 {
		t.Fatalf("kept %d epoch checkpoints, want the top 2: %v", len(files), files)
	}
	avg, err := AverageCheckpoints(files)
	if err != nil {
		t.Fatal(err)
	}
	a, _, _ := nn.LoadSafetensors(files[0])
	b, _, _ := nn.LoadSafetensors(files[1])
	k := "encoder.conv1.weight"
	if got, want := avg.Tensors[k].Data[3], (a.Tensors[k].Data[3]+b.Tensors[k].Data[3])/2; math.Abs(float64(got-want)) > 1e-7 {
		t.Fatalf("average %g, want %g", got, want)
	}
	m, err := unet.Open(res.Model, nil)
	if err != nil {
		t.Fatalf("final model does not open: %v", err)
	}
	if got := m.StateDict().Tensors[k].Data[3]; math.Abs(float64(got-avg.Tensors[k].Data[3])) > 1e-7 {
		t.Fatalf("final model holds %g, want the average %g", got, avg.Tensors[k].Data[3])
	}
}

// With a loader that drops its last partial batch, a pending gradient
// accumulation at the end of the epoch is still applied.
func TestFitFlushesPartialAccumulation(t *testing.T) {
	src := newMemSource(9, testSize, 500)
	j := newJob(t, src)
	j.Train = siim.NewLoader(src, siim.LoaderConfig{Size: testSize, Batch: 2, Workers: 1, DropLast: true})
	j.TrainIdx, j.TrainPos = []int{0, 1, 2, 3, 4, 5, 6}, src.pos[:7] // 3 whole batches, one image dropped
	var steps []StepInfo
	_, err := Fit(context.Background(), j, Config{Dir: t.TempDir(), Epochs: 1, AccumSteps: 2,
		AfterStep: func(s StepInfo) error { steps = append(steps, s); return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if len(steps) != 2 {
		t.Fatalf("%d optimizer steps for 3 batches accumulated by 2, want 2 (the last one partial)", len(steps))
	}
}

// cancelSource is a memSource that calls onLoad before loading an item.
type cancelSource struct {
	*memSource
	onLoad func(i int)
}

func (s cancelSource) Load(i int) (*image.Gray, *siim.Mask, error) {
	s.onLoad(i)
	return s.memSource.Load(i)
}

// Cancelled during the validation of EMA weights, Fit saves the live
// weights as the model's (not the averaged ones validation swapped in), and
// the resumed run ends where a straight run does.
func TestFitCancelDuringEMAValidation(t *testing.T) {
	src := newMemSource(9, testSize, 600)
	cfg := Config{Epochs: 2, Seed: 5, EMADecay: 0.9}
	straight := newJob(t, src)
	cfg.Dir = t.TempDir()
	if _, err := Fit(context.Background(), straight, cfg); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	j := newJob(t, src)
	j.Val = siim.NewLoader(cancelSource{src, func(int) { cancel() }}, siim.LoaderConfig{Size: testSize, Batch: 2, Workers: 1})
	cfg.Dir = t.TempDir()
	if _, err := Fit(ctx, j, cfg); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want one wrapping context.Canceled", err)
	}
	sd, _, err := nn.LoadSafetensors(filepath.Join(cfg.Dir, StateFile))
	if err != nil {
		t.Fatal(err)
	}
	live := nn.StateDictOf(j.Model)
	for _, k := range live.Keys {
		saved, ok := sd.Get("model." + k)
		if !ok {
			t.Fatalf("state lacks model.%s", k)
		}
		if i, d, ok := tensor.MaxDiff(saved.Data, live.Tensors[k].Data, 0, 0); !ok {
			t.Fatalf("saved model.%s differs from the live weights at %d by %g (the EMA weights were saved?)", k, i, d)
		}
	}

	j2 := newJob(t, src)
	cfg.Resume = true
	if _, err := Fit(context.Background(), j2, cfg); err != nil {
		t.Fatal(err)
	}
	if i, d, ok := tensor.MaxDiff(weights(j2.Model), weights(straight.Model), 1e-6, 1e-5); !ok {
		t.Fatalf("cancel in validation + resume differs from the straight run: element %d off by %g", i, d)
	}
}
