package nn

import (
	"bytes"
	"encoding/binary"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/lungo-ml/lungo/internal/golden"
	"github.com/lungo-ml/lungo/tensor"
)

// TestLoadSafetensorsPython reads a file laid out like the reference writer
// (scripts/golden/safetensors.py: sorted header keys, data sorted by dtype
// size, F32/F64/F16/BF16/I64/I32, a 0-d and an empty tensor) and compares
// every tensor bit for bit with numpy's and torch's float32 conversions.
func TestLoadSafetensorsPython(t *testing.T) {
	sd, meta, err := LoadSafetensors("../testdata/safetensors_py.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	if meta["format"] != "pt" || meta["note"] != "written by scripts/golden/safetensors.py ✓" {
		t.Errorf("metadata %q", meta)
	}
	want, err := golden.Load("../testdata/safetensors_py.gold")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range want.Names() {
		got, ok := sd.Get(k)
		if !ok {
			t.Errorf("%s missing", k)
			continue
		}
		w := want.Get(k)
		if len(got.Data) != len(w.Data) {
			t.Errorf("%s: %d values, want %d", k, len(got.Data), len(w.Data))
			continue
		}
		for i := range w.Data {
			if math.Float32bits(got.Data[i]) != math.Float32bits(w.Data[i]) {
				t.Errorf("%s[%d] = %g, want %g", k, i, got.Data[i], w.Data[i])
			}
		}
	}
	if s := sd.Tensors["conv.weight"].Shape; !slices.Equal(s, []int{2, 3, 2, 2}) {
		t.Errorf("conv.weight shape %v", s)
	}
	if s := sd.Tensors["bn.num_batches_tracked"].Shape; len(s) != 0 || !sd.Int64["bn.num_batches_tracked"] || !sd.Int64["ints"] || sd.Int64["half"] {
		t.Errorf("num_batches_tracked shape %v, int64 flags %v", s, sd.Int64)
	}
	if e := sd.Tensors["empty"]; !slices.Equal(e.Shape, []int{0, 4}) {
		t.Errorf("empty shape %v", e.Shape)
	}
	// Header order is kept (the Python writer sorts keys).
	if !slices.IsSorted(sd.Keys) || sd.Len() != 8 {
		t.Errorf("keys %v", sd.Keys)
	}
}

func TestFloat16ToFloat32(t *testing.T) {
	for _, c := range []struct {
		h    uint16
		want float32
	}{{0x3c00, 1}, {0xc000, -2}, {0x7bff, 65504}, {0x0001, 5.9604645e-08}, {0x0400, 6.1035156e-05},
		{0x8000, float32(math.Copysign(0, -1))}, {0x7c00, float32(math.Inf(1))}, {0x3555, 0.33325195}} {
		if got := float16ToFloat32(c.h); math.Float32bits(got) != math.Float32bits(c.want) {
			t.Errorf("%#04x -> %g, want %g", c.h, got, c.want)
		}
	}
	if v := float16ToFloat32(0x7e00); !math.IsNaN(float64(v)) {
		t.Errorf("NaN -> %g", v)
	}
}

// safetensorsFile builds a file from a raw header and data.
func safetensorsFile(header string, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, uint64(len(header)))
	b.WriteString(header)
	b.Write(data)
	return b.Bytes()
}

// TestReadSafetensorsCorrupt checks that damaged files give errors naming
// the offset or the key at fault.
func TestReadSafetensorsCorrupt(t *testing.T) {
	var good bytes.Buffer
	sd := NewStateDict()
	sd.Set("a.weight", tensor.FromData([]float32{1, 2, 3, 4}, 2, 2), false)
	sd.Set("a.n", tensor.Scalar(5), true)
	if err := WriteSafetensors(&good, sd, map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	if (good.Len()-24)%8 != 0 {
		t.Errorf("header not padded to 8 bytes: file of %d bytes", good.Len())
	}
	hdrLen := int(binary.LittleEndian.Uint64(good.Bytes()))
	f32 := make([]byte, 16)
	cases := []struct {
		name, want string
		file       []byte
	}{
		{"short", "shorter than the 8-byte", good.Bytes()[:5]},
		{"truncated header", "offset 8 runs past the end", good.Bytes()[:8+hdrLen/2]},
		{"truncated data", "data section", good.Bytes()[:good.Len()-3]},
		{"huge header", "exceeds", safetensorsFile("", nil)[:0]},
		{"not json", "header at offset 8", safetensorsFile("{nope", f32)},
		{"array", "not a JSON object", safetensorsFile("[1]", nil)},
		{"dtype", `"x": unsupported dtype "Q8"`, safetensorsFile(`{"x":{"dtype":"Q8","shape":[4],"data_offsets":[0,16]}}`, f32)},
		{"span", `"x": data_offsets span 16 bytes`, safetensorsFile(`{"x":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}}`, f32)},
		{"negative dim", `"x": bad dimension -4`, safetensorsFile(`{"x":{"dtype":"F32","shape":[-4],"data_offsets":[0,16]}}`, f32)},
		{"beyond", `"x": data_offsets [0, 16] outside`, safetensorsFile(`{"x":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}`, f32[:8])},
		{"gap", `"y": data starts at 12, want 8`, safetensorsFile(`{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"y":{"dtype":"F32","shape":[1],"data_offsets":[12,16]}}`, f32)},
		{"overlap", `data starts at 4, want 8`, safetensorsFile(`{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"y":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, f32[:12])},
		{"extra data", "tensors cover 8", safetensorsFile(`{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, f32)},
		{"duplicate", `duplicate key "x"`, safetensorsFile(`{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"x":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, f32[:8])},
		{"metadata", "__metadata__ is not a map of strings", safetensorsFile(`{"__metadata__":{"a":1}}`, nil)},
		{"overflow", "overflows", safetensorsFile(`{"x":{"dtype":"F64","shape":[1099511627776,1099511627776],"data_offsets":[0,8]}}`, f32[:8])},
		{"trailing", "trailing data", safetensorsFile(`{} x`, nil)},
	}
	huge := make([]byte, 16)
	binary.LittleEndian.PutUint64(huge, 1<<40)
	cases[3].file = huge
	for _, c := range cases {
		_, _, err := ParseSafetensors(c.file)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "nn: safetensors: ") {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	if _, _, err := ParseSafetensors(good.Bytes()); err != nil {
		t.Errorf("intact file: %v", err)
	}
}

// FuzzLoadSafetensors parses arbitrary bytes: it must never panic, and a
// file it accepts must survive a write/read round trip unchanged (after the
// conversion to float32: F16, BF16, F64 and I32 are written back as F32/I64).
func FuzzLoadSafetensors(f *testing.F) {
	var b bytes.Buffer
	sd := NewStateDict()
	sd.Set("conv.weight", tensor.FromData([]float32{1, -2, 3.5, float32(math.Inf(1))}, 1, 1, 2, 2), false)
	sd.Set("bn.num_batches_tracked", tensor.Scalar(9), true)
	sd.Set("empty", tensor.New(0), false)
	WriteSafetensors(&b, sd, map[string]string{"a": "b"})
	f.Add(b.Bytes())
	f.Add(safetensorsFile(`{"x":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"y":{"dtype":"BF16","shape":[],"data_offsets":[4,6]}}`, []byte{0, 60, 0, 192, 128, 63}))
	f.Add(safetensorsFile(`{"x":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}`, []byte{255, 255, 255, 255}))
	f.Add(safetensorsFile(`{"__metadata__":{}}`, nil))
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0, '{'})
	f.Fuzz(func(t *testing.T, data []byte) {
		sd, meta, err := ParseSafetensors(data)
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := WriteSafetensors(&out, sd, meta); err != nil {
			if _, bad := sd.Tensors["__metadata__"]; !bad {
				t.Fatalf("writing an accepted file: %v", err)
			}
			return
		}
		sd2, meta2, err := ParseSafetensors(out.Bytes())
		if err != nil {
			t.Fatalf("re-reading a written file: %v", err)
		}
		if !slices.Equal(sd.Keys, sd2.Keys) || len(meta) != len(meta2) {
			t.Fatalf("keys %v -> %v, metadata %d -> %d", sd.Keys, sd2.Keys, len(meta), len(meta2))
		}
		for _, k := range sd.Keys {
			a, b := sd.Tensors[k], sd2.Tensors[k]
			if !slices.Equal(a.Shape, b.Shape) || sd.Int64[k] != sd2.Int64[k] {
				t.Fatalf("%s: shape %v -> %v", k, a.Shape, b.Shape)
			}
			for i := range a.Data {
				if math.Float32bits(a.Data[i]) != math.Float32bits(b.Data[i]) && !(a.Data[i] != a.Data[i] && b.Data[i] != b.Data[i]) {
					t.Fatalf("%s[%d]: %g -> %g", k, i, a.Data[i], b.Data[i])
				}
			}
		}
	})
}
