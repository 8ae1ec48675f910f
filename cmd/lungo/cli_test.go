package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/lungo-ml/lungo/bench"
)

// lungoOut runs "lungo args..." in a subprocess (see TestLungoMainHelper)
// and returns its stdout, stderr and exit status.
func lungoOut(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLungoMainHelper$")
	cmd.Env = append(os.Environ(), "LUNGO_TEST_MAIN_ARGS="+strings.Join(args, "\x1f"))
	var ob, eb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &ob, &eb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatalf("lungo %v: %v", args, err)
	}
	return ob.String(), eb.String(), code
}

// TestUnknownFlagExits2: every command refuses an unknown flag with exit
// status 2 and says which flag, before doing anything.
func TestUnknownFlagExits2(t *testing.T) {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		stdout, stderr, code := lungoOut(t, n, "-no-such-flag")
		if code != 2 || !strings.Contains(stderr, "flag provided but not defined: -no-such-flag") || stdout != "" {
			t.Errorf("lungo %s -no-such-flag: exit %d, stdout %q, stderr:\n%s", n, code, stdout, stderr)
		}
	}
}

// TestExitCodes: usage errors exit 2 and name the problem; -h and help
// exit 0; failures that are not the command line's exit 1.
func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		code int
		want string // in stderr
	}{
		{[]string{"no-such-command"}, 2, `unknown command "no-such-command"`},
		{[]string{"help"}, 0, "usage: lungo <command>"},
		{[]string{"bench", "-h"}, 0, "usage: lungo bench"},
		{[]string{"train", "-h"}, 0, "usage: lungo train"},
		{[]string{"version", "extra"}, 2, `unexpected arguments ["extra"]`},
		{[]string{"info", "extra"}, 2, `unexpected arguments ["extra"]`},
		{[]string{"bench", "-count", "x"}, 2, `invalid value "x" for flag -count`},
		{[]string{"bench", "-format", "xml"}, 2, `-format "xml"`},
		{[]string{"bench", "-json", "-format", "go"}, 2, "-json and -format go"},
		{[]string{"bench", "-op", "no-such-op"}, 2, `no case in suite "kernels" matches -op "no-such-op"`},
		{[]string{"bench", "-impl", "no-such-impl"}, 2, "-impl no-such-impl: not a kernel implementation"},
		{[]string{"bench", "-threads", "0"}, 2, `-threads: bad count "0"`},
		{[]string{"bench", "-suite", "no-such-suite"}, 2, `unknown suite "no-such-suite"`},
		{[]string{"eval"}, 2, "-labels and -submission are required"},
		{[]string{"eval", "-labels", "a", "-submission", "b", "-size", "0"}, 2, "-size must be positive"},
		{[]string{"eval", "-labels", filepath.Join(dir, "none.csv"), "-submission", filepath.Join(dir, "none.csv")}, 1, "none.csv"},
		{[]string{"synth"}, 2, "-out is required"},
		{[]string{"synth", "-out", dir, "-n", "0"}, 2, "need -n > 0"},
		{[]string{"convert", "-in", "x.pth"}, 2, "-in and -out are required"},
		{[]string{"convert", "-in", filepath.Join(dir, "none.pth"), "-out", filepath.Join(dir, "m.lungo")}, 1, "none.pth"},
		{[]string{"dicom"}, 2, "no FILE given"},
		{[]string{"dicom", filepath.Join(dir, "none.dcm")}, 1, "1 of 1 files failed"},
		{[]string{"demo", "extra"}, 2, `unexpected arguments ["extra"]`},
		{[]string{"demo", "-precision", "fp8"}, 2, `precision "fp8"`},
		{[]string{"train"}, 2, "-data and -labels"},
		{[]string{"train", "-data", "d", "-labels", "l", "extra"}, 2, `unexpected arguments ["extra"]`},
		{[]string{"predict", "-input", "x.npy"}, 2, "-out is required"},
		{[]string{"predict", "-input", "x.npy", "-dicom", "d"}, 2, "give -input or -dicom, not both"},
		{[]string{"serve", "extra"}, 2, `unexpected arguments ["extra"]`},
	} {
		_, stderr, code := lungoOut(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("lungo %s: exit %d, want %d; stderr does not say %q:\n%s", strings.Join(c.args, " "), code, c.code, c.want, stderr)
		}
	}
}

// TestVersion: "lungo version" prints one line with the toolchain that
// built it; a binary built in a checkout with VCS stamping names the
// checkout's commit.
func TestVersion(t *testing.T) {
	stdout, _, code := lungoOut(t, "version")
	if code != 0 || !strings.HasPrefix(stdout, "lungo ") || strings.Count(stdout, "\n") != 1 ||
		!strings.Contains(stdout, runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH) {
		t.Errorf("lungo version: exit %d, stdout %q", code, stdout)
	}
	stdout, _, _ = lungoOut(t, "info")
	if !strings.Contains(stdout, "lungo:      ") || !strings.Contains(stdout, runtime.Version()) {
		t.Errorf("lungo info does not give the version:\n%s", stdout)
	}

	v := buildVersion{Version: "v0.0.0-20261127101500-0123456789ab+dirty", Revision: "0123456789abcdef", Time: "2026-11-27T10:15:00Z",
		Modified: true, Go: "go1.26.8"}
	want := "v0.0.0-20261127101500-0123456789ab+dirty (commit 0123456789abcdef, 2026-11-27T10:15:00Z, modified) go1.26.8 " + runtime.GOOS + "/" + runtime.GOARCH
	if got := v.String(); got != want {
		t.Errorf("String:\n got %q\nwant %q", got, want)
	}
	if got, want := (buildVersion{Go: "go1.26.8"}).String(), "(unknown) go1.26.8 "+runtime.GOOS+"/"+runtime.GOARCH; got != want {
		t.Errorf("without build information: %q, want %q", got, want)
	}

	// The real thing: build lungo with VCS stamping and compare with git.
	if testing.Short() {
		t.Skip("builds lungo")
	}
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("no git checkout: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "lungo")
	build := exec.Command("go", "build", "-buildvcs=true", "-o", bin, ".")
	build.Env = append(os.Environ(), "GOFLAGS=")
	if out, err := build.CombinedOutput(); err != nil {
		t.Skipf("go build -buildvcs=true: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if rev := strings.TrimSpace(string(head)); !strings.Contains(string(out), "(commit "+rev) || !strings.HasPrefix(string(out), "lungo v") {
		t.Errorf("lungo version of a binary built at %s: %q", rev, out)
	}
}

// goBenchLine matches a result line of Go's benchmark format.
var goBenchLine = regexp.MustCompile(`^Benchmark\S+\s+\d+\s+[\d.]+ ns/op`)

// parseGoBench reads Go's benchmark format as benchstat does: "key: value"
// configuration lines, and result lines of a name, an iteration count and
// value-unit pairs. Other lines are an error here (benchstat ignores them,
// but lungo writes none).
func parseGoBench(t *testing.T, text string) (config map[string]string, names []string, values []map[string]float64) {
	t.Helper()
	config = map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case goBenchLine.MatchString(line):
			f := strings.Fields(line)
			if len(f)%2 != 0 {
				t.Fatalf("odd number of fields in %q", line)
			}
			if _, err := strconv.Atoi(f[1]); err != nil {
				t.Fatalf("iterations in %q: %v", line, err)
			}
			m := map[string]float64{}
			for i := 2; i < len(f); i += 2 {
				v, err := strconv.ParseFloat(f[i], 64)
				if err != nil {
					t.Fatalf("value %q in %q: %v", f[i], line, err)
				}
				if _, dup := m[f[i+1]]; dup {
					t.Fatalf("unit %s twice in %q", f[i+1], line)
				}
				m[f[i+1]] = v
			}
			names, values = append(names, f[0]), append(values, m)
		case strings.HasPrefix(line, "Unit "):
		case strings.Contains(line, ": "):
			k, v, _ := strings.Cut(line, ": ")
			config[k] = v
		default:
			t.Fatalf("line %q is neither configuration nor a result", line)
		}
	}
	return config, names, values
}

// TestBenchFormatGo: -format go writes the header lines and -count lines
// per case, each a whole benchmark result with the extra units.
func TestBenchFormatGo(t *testing.T) {
	args := []string{"bench", "-op", "sgemm", "-shape", "512^3", "-impl", "generic", "-threads", "1", "-runs", "1", "-mintime", "1ns"}
	stdout, stderr, code := lungoOut(t, append(args, "-format", "go", "-count", "3")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	config, names, values := parseGoBench(t, stdout)
	for k, want := range map[string]string{"goos": runtime.GOOS, "goarch": runtime.GOARCH, "pkg": "github.com/lungo-ml/lungo/bench", "cpu": bench.CPUModel()} {
		if config[k] != want {
			t.Errorf("%s: %q, want %q", k, config[k], want)
		}
	}
	if len(names) != 3 {
		t.Fatalf("%d result lines, want 3 (-count 3):\n%s", len(names), stdout)
	}
	for i, name := range names {
		if name != "BenchmarkSgemm/shape=512^3/impl=generic/threads=1" {
			t.Errorf("name %q", name)
		}
		v := values[i]
		// 2*512^3 flops at the GFLOP/s reported take the ns/op reported.
		if ns, g := v["ns/op"], v["GFLOP/s"]; !(ns > 0 && g > 0) || abs(2*512*512*512/ns/g-1) > 0.01 {
			t.Errorf("line %d: %v ns/op and %v GFLOP/s disagree", i, ns, g)
		}
		if runtime.GOOS == "linux" && !(v["peak-MiB"] > 1) {
			t.Errorf("line %d: peak-MiB %v", i, v["peak-MiB"])
		}
	}

	// The JSON: a header record first, then one record per result.
	stdout, stderr, code = lungoOut(t, append(args, "-json", "-count", "2")...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != 3 {
		t.Fatalf("-json -count 2: %d lines, want a header and 2 results:\n%s", len(lines), stdout)
	}
	var h bench.Header
	if err := json.Unmarshal([]byte(lines[0]), &h); err != nil {
		t.Fatal(err)
	}
	if h.Type != "header" || h.GOOS != runtime.GOOS || h.GoVersion != runtime.Version() || h.Version == "" ||
		!slices.Equal(h.Threads, []int{1}) || h.GOMAXPROCS < 1 || h.CPUFlags == nil || h.PeakGFLOPS < 0 {
		t.Errorf("header %s", lines[0])
	}
	for _, l := range lines[1:] {
		var r bench.Result
		if err := json.Unmarshal([]byte(l), &r); err != nil || r.Op != "sgemm" || r.Impl != "generic" || !(r.MS > 0) {
			t.Errorf("result %s: %v", l, err)
		}
	}
}

func abs(x float64) float64 { return max(x, -x) }
