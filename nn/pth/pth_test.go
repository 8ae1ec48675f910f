package pth

import (
	"archive/zip"
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/lungo-ml/lungo/internal/golden"
)

func mustLoad(t *testing.T, name string) *StateDict {
	t.Helper()
	sd, err := Load("testdata/" + name)
	if err != nil {
		t.Fatalf("Load(%s): %v", name, err)
	}
	return sd
}

func TestLoadDTypesAndViews(t *testing.T) {
	sd := mustLoad(t, "dtypes.pth")
	want := []string{"f32", "f64", "f16", "bf16", "i64", "i32", "i16", "i8", "u8", "b",
		"transposed", "sliced", "base", "scalar", "empty", "param", "bn.num_batches_tracked"}
	if strings.Join(sd.Keys, ",") != strings.Join(want, ",") {
		t.Fatalf("keys %v, want %v", sd.Keys, want)
	}
	g, err := golden.Load("testdata/expected.gold")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range sd.Keys {
		want := g.Get(k)
		if len(sd.Tensors[k].Shape) == 0 {
			want = want.Reshape() // goldfile.py stores 0-d tensors as [1]
		}
		golden.Compare(t, k, sd.Tensors[k], want, 0, 0)
	}
	// Closed forms from scripts/golden/pth_fixtures.py, checked without the golden.
	check := func(key string, f func(i int) float32) {
		t.Helper()
		for i, v := range sd.Tensors[key].Data {
			if v != f(i) {
				t.Errorf("%s[%d] = %g, want %g", key, i, v, f(i))
			}
		}
	}
	check("f32", func(i int) float32 { return float32(i)*0.5 - 1 })
	check("f16", func(i int) float32 { return float32(i)*0.25 - 0.5 })
	check("bf16", func(i int) float32 { return float32(2*i - 3) })
	check("i64", func(i int) float32 { return float32(1000*i - 7) })
	check("u8", func(i int) float32 { return float32(250 + i) })
	check("base", func(i int) float32 { return float32(i) })
	// transposed = base.permute(2, 0, 1): [4, 2, 3], element [c][a][b] = base[a][b][c].
	tr := sd.Tensors["transposed"]
	if got := tr.Shape; len(got) != 3 || got[0] != 4 || got[1] != 2 || got[2] != 3 {
		t.Fatalf("transposed shape %v", got)
	}
	if v := tr.At(3, 1, 2); v != float32(1*12+2*4+3) {
		t.Errorf("transposed[3,1,2] = %g, want 23", v)
	}
	// sliced = base[1:, ::2, 1::2]: [1, 2, 2] = {13, 15, 21, 23}.
	if got := sd.Tensors["sliced"].Data; len(got) != 4 || got[0] != 13 || got[1] != 15 || got[2] != 21 || got[3] != 23 {
		t.Errorf("sliced = %v, want [13 15 21 23]", got)
	}
	if s := sd.Tensors["scalar"]; len(s.Shape) != 0 || s.Data[0] != 2.5 {
		t.Errorf("scalar = %v", s)
	}
	if e := sd.Tensors["empty"]; len(e.Data) != 0 || e.Shape[0] != 0 || e.Shape[1] != 3 {
		t.Errorf("empty = %v", e.Shape)
	}
	for k, dt := range map[string]DType{"f32": Float32, "f64": Float64, "f16": Float16, "bf16": BFloat16, "i64": Int64,
		"b": Bool, "param": Float32, "bn.num_batches_tracked": Int64} {
		if sd.DTypes[k] != dt {
			t.Errorf("dtype of %s = %s, want %s", k, sd.DTypes[k], dt)
		}
	}
	if !sd.IsInt("bn.num_batches_tracked") || sd.IsInt("param") {
		t.Errorf("IsInt wrong")
	}
	if sd.Tensors["bn.num_batches_tracked"].Data[0] != 42 {
		t.Errorf("num_batches_tracked = %v", sd.Tensors["bn.num_batches_tracked"].Data)
	}
	// Views of one storage are copies, not aliases.
	sd.Tensors["base"].Data[0] = 99
	if sd.Tensors["transposed"].Data[0] == 99 {
		t.Errorf("transposed aliases base")
	}
}

func TestLoadNested(t *testing.T) {
	for _, c := range []struct{ file, prefix string }{{"nested_state_dict.pth", "state_dict"}, {"nested_model.pth", "model"}} {
		sd := mustLoad(t, c.file)
		if sd.Prefix != c.prefix || strings.Join(sd.Keys, ",") != "w,b" {
			t.Errorf("%s: prefix %q keys %v", c.file, sd.Prefix, sd.Keys)
		}
		if w := sd.Tensors["w"]; w.At(1, 0) != 3 || w.At(0, 1) != 2 {
			t.Errorf("%s: w = %v", c.file, w)
		}
	}
	sd := mustLoad(t, "nested_state_dict.pth")
	if sd.Extra["epoch"] != int64(3) || sd.Extra["best"] != 0.75 || sd.Extra["name"] != "x" {
		t.Errorf("extra = %v", sd.Extra)
	}
}

func TestLoadRefuses(t *testing.T) {
	for _, c := range []struct{ file, want string }{
		{"evil_os.pth", "os.system"},
		{"evil_eval.pth", "builtins.eval"},
		{"evil_system.pth", "posix.system"},
		{"whole_module.pth", "torch.nn.modules.linear.Linear"},
		{"legacy.pth", "legacy"},
		{"plain_int.pth", "no tensors"},
	} {
		_, err := Load("testdata/" + c.file)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Load(%s) = %v, want an error containing %q", c.file, err, c.want)
		}
	}
}

func TestTruncated(t *testing.T) {
	b, err := os.ReadFile("testdata/dtypes.pth")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 2, 10, 100, len(b) / 2, len(b) - 30, len(b) - 1} {
		if _, err := Parse(b[:n]); err == nil {
			t.Errorf("Parse of the first %d of %d bytes succeeded", n, len(b))
		}
	}
}

// rezip copies a .pth replacing the bytes of data.pkl with f(pkl).
func rezip(t *testing.T, src string, f func(name string, b []byte) []byte) []byte {
	t.Helper()
	z, err := zip.OpenReader(src)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, e := range z.File {
		r, err := e.Open()
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		b.ReadFrom(r)
		r.Close()
		out := f(e.Name, b.Bytes())
		if out == nil {
			continue
		}
		ew, _ := w.CreateHeader(&zip.FileHeader{Name: e.Name, Method: zip.Store})
		ew.Write(out)
	}
	w.Close()
	return buf.Bytes()
}

func TestBadPickleAndStorage(t *testing.T) {
	// A truncated pickle names data.pkl and an offset.
	b := rezip(t, "testdata/dtypes.pth", func(name string, b []byte) []byte {
		if strings.HasSuffix(name, "data.pkl") {
			return b[:len(b)/2]
		}
		return b
	})
	if _, err := Parse(b); err == nil || !strings.Contains(err.Error(), "data.pkl") {
		t.Errorf("truncated pickle: %v", err)
	}
	// A missing storage names its zip entry.
	b = rezip(t, "testdata/dtypes.pth", func(name string, b []byte) []byte {
		if strings.HasSuffix(name, "data/0") {
			return nil
		}
		return b
	})
	if _, err := Parse(b); err == nil || !strings.Contains(err.Error(), "dtypes/data/0") {
		t.Errorf("missing storage: %v", err)
	}
	// A short storage.
	b = rezip(t, "testdata/dtypes.pth", func(name string, b []byte) []byte {
		if strings.HasSuffix(name, "data/0") {
			return b[:len(b)-1]
		}
		return b
	})
	if _, err := Parse(b); err == nil || !strings.Contains(err.Error(), "dtypes/data/0") {
		t.Errorf("short storage: %v", err)
	}
}

func TestHalf(t *testing.T) {
	for _, c := range []struct {
		h uint16
		f float32
	}{{0x3c00, 1}, {0xc000, -2}, {0x0001, 1.0 / (1 << 24)}, {0x7bff, 65504}, {0x8000, 0}, {0x3555, 0.333251953125}} {
		if got := halfToFloat(c.h); got != c.f {
			t.Errorf("halfToFloat(%#04x) = %g, want %g", c.h, got, c.f)
		}
	}
}
