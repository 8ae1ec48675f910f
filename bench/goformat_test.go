package bench

import (
	"bytes"
	"encoding/json"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestGoName(t *testing.T) {
	for op, want := range map[string]string{
		"sgemm":               "Sgemm",
		"conv2d":              "Conv2d",
		"conv2d fwd+bwd":      "Conv2dFwdBwd",
		"conv_transpose2d":    "ConvTranspose2d",
		"maxpool2d":           "Maxpool2d",
		"unet-resnet34 infer": "UnetResnet34Infer",
	} {
		if got := GoName(op); got != want {
			t.Errorf("GoName(%q) = %q, want %q", op, got, want)
		}
	}
}

// TestGoLine: a result becomes one benchmark line whose name has no spaces
// and whose fields are the Result's, in Go's "value unit" pairs; units
// without a measurement are left out rather than written as 0.
func TestGoLine(t *testing.T) {
	r := Result{Op: "conv2d", Shape: "3x3 s1 p1 64->64 @128x128 n1", Impl: "avx512", Threads: 2, MS: 1.2345678,
		GFLOPS: 45.678, PeakPct: 78.91, CPUMS: 1.1, PeakRSSMiB: 12.34}
	want := "BenchmarkConv2d/shape=3x3_s1_p1_64->64_@128x128_n1/impl=avx512/threads=2\t1\t1234568 ns/op" +
		"\t45.68 GFLOP/s\t78.91 peak-%\t12.3 peak-MiB\t1100000 cpu-ns/op"
	if got := GoLine(r); got != want {
		t.Errorf("GoLine:\n got %q\nwant %q", got, want)
	}
	pool := Result{Op: "maxpool2d", Shape: "3x3 s2 p1 64ch @256x256 n1", Impl: "generic", Threads: 1, MS: 0.00005}
	want = "BenchmarkMaxpool2d/shape=3x3_s2_p1_64ch_@256x256_n1/impl=generic/threads=1\t1\t50.00 ns/op"
	if got := GoLine(pool); got != want {
		t.Errorf("GoLine without flops or memory:\n got %q\nwant %q", got, want)
	}
	// A slash in a shape would start a sub-benchmark level.
	if got := GoLine(Result{Op: "x", Shape: "a/b", Impl: "generic", Threads: 1, MS: 1}); strings.Count(strings.Fields(got)[0], "/") != 3 {
		t.Errorf("shape with a slash: %q", got)
	}
}

// TestHeader: the header is tagged as one, describes this process, and
// its JSON has the fields "lungo bench -json" documents.
func TestHeader(t *testing.T) {
	h := NewHeader([]int{1, 0})
	if h.Type != "header" || h.GOOS != runtime.GOOS || h.GOARCH != runtime.GOARCH || h.GoVersion != runtime.Version() ||
		h.GOMAXPROCS != runtime.GOMAXPROCS(0) || h.Kernels == "" {
		t.Errorf("header %+v", h)
	}
	if !slices.Equal(h.Threads, []int{1, runtime.GOMAXPROCS(0)}) {
		t.Errorf("threads %v, want [1 GOMAXPROCS]", h.Threads)
	}
	if h.PeakGFLOPS != Peak() {
		t.Errorf("peak %v, Peak() %v", h.PeakGFLOPS, Peak())
	}
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"type", "cpu", "cpu_flags", "fma_peak_gflops", "go_version", "lungo_version", "gomaxprocs", "threads"} {
		if _, ok := m[k]; !ok {
			t.Errorf("header JSON %s lacks %q", b, k)
		}
	}
	if _, ok := m["op"]; ok {
		t.Errorf("header JSON %s has an op: readers tell it from results by that", b)
	}

	var buf bytes.Buffer
	if err := WriteGoHeader(&buf, h); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"goos: " + runtime.GOOS + "\n", "goarch: " + runtime.GOARCH + "\n",
		"pkg: github.com/lungo-ml/lungo/bench\n", "cpu: " + h.CPU + "\n", "Unit GFLOP/s Better=higher\n"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("Go header\n%s\nlacks %q", buf.String(), want)
		}
	}
}
