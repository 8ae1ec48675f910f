package nn

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lungo-ml/lungo/tensor"
)

// stateTestNet is conv-bn-relu-conv as nn.Sequential would key it.
func stateTestNet(seed uint64) *Sequential {
	rng := tensor.NewRNG(seed)
	return NewSequential(NewConv2DLayer(rng, 1, 3, 3, 1, 1, true), NewBatchNorm2DLayer(3), NewReLULayer(), NewConv2DLayer(rng, 3, 2, 1, 1, 0, false))
}

func TestStateDictOfOrderAndSharing(t *testing.T) {
	m := stateTestNet(1)
	sd := StateDictOf(m)
	want := []string{"0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var",
		"1.num_batches_tracked", "3.weight"} // PyTorch's state_dict() order
	if !slices.Equal(sd.Keys, want) {
		t.Fatalf("keys %v, want %v", sd.Keys, want)
	}
	if !sd.Int64["1.num_batches_tracked"] || len(sd.Int64) != 1 {
		t.Errorf("Int64 flags %v, want only 1.num_batches_tracked", sd.Int64)
	}
	if got := sd.Tensors["0.weight"]; got != m.Layers[0].(*Conv2DLayer).Weight.Data {
		t.Errorf("StateDictOf copied 0.weight; want the module's own tensor")
	}
	snap := sd.Clone()
	sd.Tensors["0.weight"].Data[0] += 1
	if snap.Tensors["0.weight"].Data[0] == sd.Tensors["0.weight"].Data[0] {
		t.Errorf("Clone shares data with the original")
	}
}

func TestStateDictSetDelete(t *testing.T) {
	sd := NewStateDict()
	sd.Set("a", tensor.New(1), false)
	sd.Set("b", tensor.New(2), true)
	sd.Set("c", tensor.New(3), false)
	sd.Set("a", tensor.New(4), true) // replace keeps position
	sd.Delete("b")
	sd.Delete("nope")
	if !slices.Equal(sd.Keys, []string{"a", "c"}) || sd.Len() != 2 {
		t.Fatalf("keys %v", sd.Keys)
	}
	if a, _ := sd.Get("a"); a.Shape[0] != 4 || !sd.Int64["a"] || sd.Int64["b"] {
		t.Errorf("after replace/delete: a %v, int64 %v", a.Shape, sd.Int64)
	}
	if _, ok := sd.Get("b"); ok {
		t.Errorf("deleted key still present")
	}
}

// TestSafetensorsRoundTrip saves a model with metadata and loads it into a
// differently initialised one: every parameter and buffer must match exactly.
func TestSafetensorsRoundTrip(t *testing.T) {
	src := stateTestNet(1)
	bn := src.Layers[1].(*BatchNorm2DLayer)
	bn.NumBatchesTracked.Data[0] = 7
	bn.RunningMean.Data[1] = -0.125
	bn.RunningVar.Data[2] = 3.5
	path := filepath.Join(t.TempDir(), "model.safetensors")
	meta := map[string]string{"config": `{"encoder":"resnet34"}`, "weird \"key\"\n": "ü"}
	if err := SaveSafetensors(path, StateDictOf(src), meta); err != nil {
		t.Fatal(err)
	}
	sd, gotMeta, err := LoadSafetensors(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(gotMeta) != len(meta) || gotMeta["config"] != meta["config"] || gotMeta["weird \"key\"\n"] != "ü" {
		t.Errorf("metadata %q, want %q", gotMeta, meta)
	}
	if !slices.Equal(sd.Keys, StateDictOf(src).Keys) || !sd.Int64["1.num_batches_tracked"] {
		t.Errorf("keys %v int64 %v", sd.Keys, sd.Int64)
	}
	if s := sd.Tensors["1.num_batches_tracked"].Shape; len(s) != 0 {
		t.Errorf("num_batches_tracked shape %v, want []", s)
	}
	dst := stateTestNet(99)
	if err := LoadStateDict(dst, sd, true); err != nil {
		t.Fatal(err)
	}
	want, got := StateDictOf(src), StateDictOf(dst)
	for _, k := range want.Keys {
		if !slices.Equal(got.Tensors[k].Data, want.Tensors[k].Data) || !tensor.SameShape(got.Tensors[k].Shape, want.Tensors[k].Shape) {
			t.Errorf("%s: loaded %v, want %v", k, got.Tensors[k], want.Tensors[k])
		}
	}
	// No temporary files are left beside the result.
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*tmp*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestSaveSafetensorsAtomicOnError(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	if err := SaveSafetensors(path, StateDictOf(stateTestNet(1)), nil); err != nil {
		t.Fatal(err)
	}
	before, _, _ := LoadSafetensors(path)
	bad := NewStateDict()
	bad.Set("__metadata__", tensor.New(1), false)
	if err := SaveSafetensors(path, bad, nil); err == nil {
		t.Fatal("saving a tensor named __metadata__ succeeded")
	}
	after, _, err := LoadSafetensors(path)
	if err != nil || after.Len() != before.Len() {
		t.Fatalf("failed save damaged the old file: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
	if err := SaveSafetensors(filepath.Join(dir, "no/such/dir/m.safetensors"), before, nil); err == nil {
		t.Errorf("saving into a missing directory succeeded")
	}
}

// TestLoadStateDictErrors checks that a strict load names every missing,
// unexpected and wrong-shaped key, and that a failed load changes nothing.
func TestLoadStateDictErrors(t *testing.T) {
	sd := StateDictOf(stateTestNet(1)).Clone()
	sd.Delete("0.bias")
	sd.Delete("1.running_var")
	sd.Set("extra.weight", tensor.New(2), false)
	sd.Set("3.weight", tensor.New(2, 3, 3, 3), false) // want [2,3,1,1]
	sd.Set("1.weight", tensor.New(4), false)          // want [3]
	m := stateTestNet(5)
	orig := StateDictOf(m).Clone()
	err := LoadStateDict(m, sd, true)
	var se *StateDictError
	if !errors.As(err, &se) {
		t.Fatalf("error %v, want *StateDictError", err)
	}
	if !slices.Equal(se.Missing, []string{"0.bias", "1.running_var"}) || !slices.Equal(se.Unexpected, []string{"extra.weight"}) || len(se.Mismatched) != 2 {
		t.Errorf("missing %v unexpected %v mismatched %v", se.Missing, se.Unexpected, se.Mismatched)
	}
	for _, k := range []string{"0.bias", "1.running_var", "extra.weight", "3.weight", "1.weight", "[2 3 3 3]", "[2 3 1 1]"} {
		if !strings.Contains(err.Error(), k) {
			t.Errorf("error %q does not name %s", err, k)
		}
	}
	for _, k := range orig.Keys {
		if !slices.Equal(orig.Tensors[k].Data, StateDictOf(m).Tensors[k].Data) {
			t.Errorf("%s changed by a failed load", k)
		}
	}
	// Non-strict: missing and unexpected keys are skipped, shapes still checked.
	if err := LoadStateDict(m, sd, false); err == nil || !strings.Contains(err.Error(), "3.weight") || strings.Contains(err.Error(), "missing") {
		t.Errorf("non-strict load with wrong shapes: %v", err)
	}
	sd.Delete("3.weight")
	sd.Delete("1.weight")
	if err := LoadStateDict(m, sd, false); err != nil {
		t.Errorf("non-strict load: %v", err)
	}
	if got := StateDictOf(m).Tensors["0.weight"].Data; !slices.Equal(got, sd.Tensors["0.weight"].Data) {
		t.Errorf("non-strict load did not copy 0.weight")
	}
	// A [1] count loads into a [] buffer.
	full := StateDictOf(stateTestNet(1)).Clone()
	full.Set("1.num_batches_tracked", tensor.FromData([]float32{3}, 1), true)
	if err := LoadStateDict(m, full, true); err != nil {
		t.Errorf("[1] into []: %v", err)
	}
}

func TestStateDictSubDictWithout(t *testing.T) {
	sd := NewStateDict()
	sd.Set("encoder.conv1.weight", tensor.New(1), false)
	sd.Set("optim.exp_avg.0", tensor.New(2), false)
	sd.Set("encoder.bn1.num_batches_tracked", tensor.New(), true)
	sd.Set("head.bias", tensor.New(3), false)
	sub := sd.SubDict("encoder.")
	if !slices.Equal(sub.Keys, []string{"conv1.weight", "bn1.num_batches_tracked"}) || !sub.Int64["bn1.num_batches_tracked"] {
		t.Errorf("SubDict keys %v int64 %v", sub.Keys, sub.Int64)
	}
	if sub.Tensors["conv1.weight"] != sd.Tensors["encoder.conv1.weight"] {
		t.Errorf("SubDict copied a tensor")
	}
	rest := sd.Without("optim.", "head.")
	if !slices.Equal(rest.Keys, []string{"encoder.conv1.weight", "encoder.bn1.num_batches_tracked"}) {
		t.Errorf("Without keys %v", rest.Keys)
	}
}

// Save a model to a safetensors file with metadata and load it back.
func ExampleLoadStateDict() {
	dir, _ := os.MkdirTemp("", "lungo-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "net.safetensors")

	rng := tensor.NewRNG(1)
	net := NewSequential(NewConv2DLayer(rng, 1, 4, 3, 1, 1, true), NewBatchNorm2DLayer(4))
	if err := SaveSafetensors(path, StateDictOf(net), map[string]string{"arch": "tiny"}); err != nil {
		fmt.Println(err)
		return
	}
	sd, meta, err := LoadSafetensors(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	fresh := NewSequential(NewConv2DLayer(tensor.NewRNG(2), 1, 4, 3, 1, 1, true), NewBatchNorm2DLayer(4))
	fmt.Println(meta["arch"], sd.Keys)
	fmt.Println(LoadStateDict(fresh, sd, true))
	sd.Delete("1.running_var")
	fmt.Println(LoadStateDict(fresh, sd, true))
	// Output:
	// tiny [0.weight 0.bias 1.weight 1.bias 1.running_mean 1.running_var 1.num_batches_tracked]
	// <nil>
	// nn: loading state dict: 1 missing key(s): 1.running_var
}
