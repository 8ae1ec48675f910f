package unet

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/lungo-ml/lungo/nn"
	"github.com/lungo-ml/lungo/tensor"
)

func TestParameterCounts(t *testing.T) {
	for _, c := range []struct {
		enc  string
		want int
	}{{"resnet18", 14321937}, {"resnet34", 24430097}, {"resnet50", 32514833}} {
		m := MustNew(Config{Encoder: c.enc, InChannels: 1, Classes: 1}, tensor.NewRNG(1))
		if got := nn.CountParameters(m); got != c.want {
			t.Errorf("%s: %d parameters, want %d", c.enc, got, c.want)
		}
	}
	// unet_ref.py prints 24,545,627 for resnet34 + scse + a 3-class head; a 1-class head has 2*513 fewer.
	m := MustNew(Config{Encoder: "resnet34", InChannels: 1, Classes: 1, Attention: "scse", ClassHead: 1}, tensor.NewRNG(1))
	if got := nn.CountParameters(m); got != 24545627-2*513 {
		t.Errorf("resnet34+scse+cls: %d parameters, want %d", got, 24545627-2*513)
	}
}

// TestKeysMatchReference compares every state-dict key and shape, in order,
// with PyTorch's (testdata/unet_*.keys from scripts/golden/unet.py).
func TestKeysMatchReference(t *testing.T) {
	cases := append(goldenCases[:len(goldenCases):len(goldenCases)],
		goldenCase{"r50_scse_cls", Config{Encoder: "resnet50", InChannels: 1, Classes: 1, Attention: "scse", ClassHead: 2}})
	for _, c := range cases {
		m := MustNew(c.cfg, tensor.NewRNG(1))
		sd := m.StateDict()
		var got []string
		for _, k := range sd.Keys {
			shape := make([]string, len(sd.Tensors[k].Shape))
			for i, d := range sd.Tensors[k].Shape {
				shape[i] = fmt.Sprint(d)
			}
			got = append(got, k+" "+strings.Join(shape, "x"))
		}
		f, err := os.Open("../../testdata/unet_" + c.name + ".keys")
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		s := bufio.NewScanner(f)
		for s.Scan() {
			want = append(want, s.Text())
		}
		f.Close()
		if len(got) != len(want) {
			t.Errorf("%s: %d keys, want %d", c.name, len(got), len(want))
		}
		for i := range min(len(got), len(want)) {
			if got[i] != want[i] {
				t.Errorf("%s: key %d = %q, want %q", c.name, i, got[i], want[i])
				break
			}
		}
	}
}

func TestConfig(t *testing.T) {
	c, err := ParseArch("unet-resnet34", 1)
	if err != nil || c.Encoder != "resnet34" || c.InChannels != 1 || len(c.DecoderChannels) != 5 {
		t.Fatalf("ParseArch = %+v, %v", c, err)
	}
	back, err := UnmarshalConfig(c.MarshalConfig())
	if err != nil || back.MarshalConfig() != c.MarshalConfig() {
		t.Errorf("config round trip: %+v, %v", back, err)
	}
	for _, bad := range []Config{
		{Encoder: "resnet101"}, {Encoder: "resnet18", InChannels: 2}, {Encoder: "resnet18", Attention: "cbam"},
		{Encoder: "resnet18", DecoderChannels: []int{1, 2}}, {Encoder: "resnet18", Classes: -1},
	} {
		if err := bad.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil", bad)
		}
	}
	if _, err := New(Config{Encoder: "resnet18", Attention: "scse", DecoderChannels: []int{64, 32, 16, 8, 8}}, tensor.NewRNG(1)); err == nil {
		t.Errorf("scse with 8 decoder channels accepted")
	}
	if _, err := ParseArch("unet-vgg", 1); err == nil {
		t.Errorf("ParseArch(unet-vgg) accepted")
	}
}
