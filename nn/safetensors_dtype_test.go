package nn

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/lungo-ml/lungo/tensor"
)

// Every finite binary16 value survives float16 -> float32 -> float16, and a
// value halfway between two neighbours rounds to the one with an even last
// bit, a hair either side to the nearer one: round to nearest even over the
// whole range, subnormals included.
func TestFloat16RoundingExhaustive(t *testing.T) {
	for h := 0; h < 0x10000; h++ {
		hb := uint16(h)
		if hb&0x7c00 == 0x7c00 && hb&0x3ff != 0 {
			if got := float32ToFloat16(float16ToFloat32(hb)); got&0x7c00 != 0x7c00 || got&0x3ff == 0 {
				t.Fatalf("NaN %#04x came back as %#04x", hb, got)
			}
			continue
		}
		f := float16ToFloat32(hb)
		if got := float32ToFloat16(f); got != hb {
			t.Fatalf("%#04x = %g came back as %#04x", hb, f, got)
		}
		next := hb + 1
		if hb&0x7fff >= 0x7bff { // the largest finite value and infinity
			continue
		}
		g := float16ToFloat32(next)
		mid := (f + g) / 2 // exact: 12 significant bits
		even := hb
		if hb&1 == 1 {
			even = next
		}
		if got := float32ToFloat16(mid); got != even {
			t.Fatalf("midpoint of %#04x and %#04x (%g) rounded to %#04x, want %#04x", hb, next, mid, got, even)
		}
		up := math.Nextafter32(mid, float32(math.Copysign(math.Inf(1), float64(g))))
		down := math.Nextafter32(mid, f)
		if got := float32ToFloat16(up); got != next {
			t.Fatalf("just past the midpoint of %#04x and %#04x (%g) rounded to %#04x", hb, next, up, got)
		}
		if got := float32ToFloat16(down); got != hb {
			t.Fatalf("just short of the midpoint of %#04x and %#04x (%g) rounded to %#04x", hb, next, down, got)
		}
	}
	if got := float32ToFloat16(1e-9); got != 0 {
		t.Errorf("1e-9 -> %#04x, want +0", got)
	}
	if got := float32ToFloat16(-1e-9); got != 0x8000 {
		t.Errorf("-1e-9 -> %#04x, want -0", got)
	}
}

// bfloat16 rounding against float64 arithmetic: the result is the nearer of
// the two bf16 neighbours, ties to even, subnormals kept.
func TestBF16Rounding(t *testing.T) {
	rng := tensor.NewRNG(3)
	for i := 0; i < 200000; i++ {
		u := uint32(rng.Uint64())
		if u&0x7fffffff >= 0x7f7f8000 { // rounds past the largest finite bf16: check refuses it
			continue
		}
		f := math.Float32frombits(u)
		got := float32ToBF16(f)
		lo := math.Float32frombits(u &^ 0xffff)
		hi := math.Float32frombits(u&^0xffff + 0x10000)
		dlo, dhi := math.Abs(float64(f)-float64(lo)), math.Abs(float64(hi)-float64(f))
		want := uint16(math.Float32bits(lo) >> 16)
		if dhi < dlo || dhi == dlo && want&1 == 1 {
			want = uint16(math.Float32bits(hi) >> 16)
		}
		if got != want {
			t.Fatalf("%g (%#08x): got %#04x, want %#04x", f, u, got, want)
		}
	}
	if got := float32ToBF16(float32(math.NaN())); got&0x7f80 != 0x7f80 || got&0x7f == 0 {
		t.Errorf("NaN -> %#04x", got)
	}
}

// A BF16 or F16 file is half the size of the F32 one and reads back as the
// rounded values; integer entries stay I64; F16 refuses a value it cannot
// hold and writes nothing.
func TestWriteSafetensorsAs(t *testing.T) {
	sd := NewStateDict()
	w := tensor.New(64, 3, 3)
	for i := range w.Data {
		w.Data[i] = float32(math.Sin(float64(i))) * 0.1
	}
	sd.Set("conv.weight", w, false)
	sd.Set("bn.num_batches_tracked", tensor.FromData([]float32{12345}, 1), true)

	var f32 bytes.Buffer
	if err := WriteSafetensors(&f32, sd, map[string]string{"a": "b"}); err != nil {
		t.Fatal(err)
	}
	for _, dt := range []DType{BF16, F16} {
		var b bytes.Buffer
		if err := WriteSafetensorsAs(&b, sd, map[string]string{"a": "b"}, dt); err != nil {
			t.Fatal(err)
		}
		data32, data16 := f32.Len(), b.Len()
		if want := 4*len(w.Data)/2 + 8; data32-data16 < want-64 || data32-data16 > want+64 {
			t.Errorf("%s: file %d bytes, F32 %d: want about %d fewer", dt, data16, data32, want)
		}
		back, meta, err := ParseSafetensors(b.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if meta["a"] != "b" {
			t.Errorf("%s: metadata %v", dt, meta)
		}
		if !back.Int64["bn.num_batches_tracked"] || back.Tensors["bn.num_batches_tracked"].Data[0] != 12345 {
			t.Errorf("%s: num_batches_tracked %v", dt, back.Tensors["bn.num_batches_tracked"].Data)
		}
		got := back.Tensors["conv.weight"].Data
		for i, v := range w.Data {
			var want float32
			if dt == BF16 {
				want = math.Float32frombits(uint32(float32ToBF16(v)) << 16)
			} else {
				want = float16ToFloat32(float32ToFloat16(v))
			}
			if got[i] != want {
				t.Fatalf("%s: element %d: %g, want %g", dt, i, got[i], want)
			}
			tol := math.Abs(float64(v)) * map[DType]float64{BF16: 1.0 / 256, F16: 1.0 / 2048}[dt]
			if dt == F16 {
				tol = math.Max(tol, 0x1p-25) // subnormal spacing
			}
			if math.Abs(float64(got[i]-v)) > tol {
				t.Fatalf("%s: element %d: %g for %g", dt, i, got[i], v)
			}
		}
	}

	w.Data[7] = 70000
	var b bytes.Buffer
	err := WriteSafetensorsAs(&b, sd, nil, F16)
	if err == nil || !strings.Contains(err.Error(), `"conv.weight"`) || !strings.Contains(err.Error(), "element 7") {
		t.Fatalf("F16 with 70000: err %v, want one naming the tensor and element 7", err)
	}
	if b.Len() != 0 {
		t.Errorf("F16 with 70000 wrote %d bytes before failing", b.Len())
	}
	if err := WriteSafetensorsAs(&b, sd, nil, BF16); err != nil {
		t.Errorf("BF16 with 70000: %v", err)
	}
	w.Data[7] = -3.4e38 // rounds to -inf in bf16
	if err := WriteSafetensorsAs(&b, sd, nil, BF16); err == nil || !strings.Contains(err.Error(), "bfloat16") {
		t.Errorf("BF16 with -3.4e38: err %v, want an overflow", err)
	}
	if err := WriteSafetensorsAs(&b, sd, nil, "F8"); err == nil {
		t.Error("dtype F8 accepted")
	}
	for s, want := range map[string]DType{"fp16": F16, "half": F16, "bf16": BF16, "F32": F32} {
		if got, err := ParseDType(s); err != nil || got != want {
			t.Errorf("ParseDType(%q) = %v, %v", s, got, err)
		}
	}
	if _, err := ParseDType("int4"); err == nil {
		t.Error("ParseDType(int4) accepted")
	}
}
