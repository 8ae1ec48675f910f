package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"github.com/lungo-ml/lungo/internal/shareddata"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lungo-ml/lungo/data/dicom"
	"github.com/lungo-ml/lungo/data/dicom/seg"
	"github.com/lungo-ml/lungo/infer"
	"github.com/lungo-ml/lungo/internal/orthanctest"
	"github.com/lungo-ml/lungo/models/unet"
	"github.com/lungo-ml/lungo/pacs"
	"github.com/lungo-ml/lungo/tensor"
)

// sharedPath returns the path of a shared test file; without it the test
// fails in CI (CI=true) and is skipped elsewhere.
func sharedPath(t testing.TB, rel string) string {
	t.Helper()
	return shareddata.Path(t, rel)
}

// testThreshold cuts the probabilities of testModel, which all lie within
// about 0.5122-0.5137 on radiographs, so that its masks are neither empty
// nor full and have many edges: a bit-for-bit comparison of them means
// something.
const testThreshold = 0.5126

// testModel saves an untrained, narrow U-Net-ResNet18 checkpoint with a
// thresholds.json beside it (size 128, plain threshold testThreshold) and
// returns the checkpoint's path.
func testModel(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	m, err := unet.New(unet.Config{Encoder: "resnet18", InChannels: 1, Classes: 1, DecoderChannels: []int{16, 8, 8, 8, 8}}, tensor.NewRNG(7))
	if err != nil {
		t.Fatal(err)
	}
	weights := filepath.Join(dir, "m.lungo")
	if err := m.SaveCheckpoint(weights, nil); err != nil {
		t.Fatal(err)
	}
	th, _ := json.Marshal(thresholds{Size: 128, Triplet: infer.Triplet{Top: testThreshold, Bottom: testThreshold}})
	if err := os.WriteFile(filepath.Join(dir, thresholdsFile), th, 0o644); err != nil {
		t.Fatal(err)
	}
	return weights
}

// captureStderr runs fn with os.Stderr going to a file and returns what
// was written there.
func captureStderr(t *testing.T, fn func() error) (string, error) {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	old := os.Stderr
	os.Stderr = f
	err = fn()
	os.Stderr = old
	b, rerr := os.ReadFile(f.Name())
	if rerr != nil {
		t.Fatal(rerr)
	}
	return string(b), err
}

// A resultFiles holds what "lungo predict -seg -sc" wrote for one source.
type resultFiles struct {
	segUID, scUID string
	mask          []uint8 // the SEG's, read back
	scPixels      []byte  // the overlay's RGB pixels
}

// readResults parses a SEG and an overlay SC.
func readResults(t *testing.T, name string, segFile, scFile []byte) resultFiles {
	t.Helper()
	sf, err := dicom.Parse(segFile)
	if err != nil {
		t.Fatalf("%s: SEG: %v", name, err)
	}
	_, _, mask, err := seg.ReadMask(sf)
	if err != nil {
		t.Fatalf("%s: SEG: %v", name, err)
	}
	cf, err := dicom.Parse(scFile)
	if err != nil {
		t.Fatalf("%s: SC: %v", name, err)
	}
	px, ok := cf.Get(dicom.PixelData)
	if !ok {
		t.Fatalf("%s: SC without pixel data", name)
	}
	return resultFiles{segUID: sf.String(dicom.SOPInstanceUID), scUID: cf.String(dicom.SOPInstanceUID), mask: mask, scPixels: px.Value}
}

// TestPacsRoundTrip stores a real SIIM radiograph and a 16-bit JPEG 2000
// CR in a real Orthanc, runs "lungo pacs" on one study (-study) and then on
// the change feed (-watch -once), fetches the SEGs and overlays it stored,
// and compares them with "lungo predict -seg -sc" of the same files: same
// UIDs, the same mask bit for bit, the same overlay pixels. Runs again
// store nothing; a deleted overlay is written again alone; with Orthanc
// down the command fails naming the URL, after its retries.
func TestPacsRoundTrip(t *testing.T) {
	start := time.Now()
	srv := orthanctest.Start(t)
	srcPaths := []string{
		sharedPath(t, "siim-real/dicom/1.2.276.0.7230010.3.1.4.8323329.301.1517875162.280319.dcm"),
		sharedPath(t, "dicom/RG1_J2KI.dcm"), // 1955x1841 MONOCHROME1 CR, 15 bits, JPEG 2000
	}
	weights := testModel(t)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c := &pacs.Client{BaseURL: srv.URL, Username: srv.Username, Password: srv.Password}

	type source struct {
		id, sop, study string
		want           resultFiles
	}
	var srcs []source
	for _, p := range srcPaths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		f, err := dicom.Parse(b)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Upload(ctx, b); err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, source{id: strings.TrimSuffix(filepath.Base(p), ".dcm"),
			sop: f.String(dicom.SOPInstanceUID), study: f.String(dicom.StudyInstanceUID)})
	}

	// The reference: lungo predict of the same files.
	segDir, scDir := filepath.Join(dir, "seg"), filepath.Join(dir, "sc")
	if err := runPredict([]string{"-weights", weights, "-dicom", strings.Join(srcPaths, ","), "-seg", segDir, "-sc", scDir}); err != nil {
		t.Fatal(err)
	}
	for i := range srcs {
		s := &srcs[i]
		segB, err := os.ReadFile(filepath.Join(segDir, s.id+".seg.dcm"))
		if err != nil {
			t.Fatal(err)
		}
		scB, err := os.ReadFile(filepath.Join(scDir, s.id+".sc.dcm"))
		if err != nil {
			t.Fatal(err)
		}
		s.want = readResults(t, s.id+" (predict)", segB, scB)
		n := 0
		for _, v := range s.want.mask {
			n += int(v)
		}
		if n == 0 || n == len(s.want.mask) {
			t.Fatalf("%s: the test model's mask has %d of %d pixels set; move testThreshold into its probabilities", s.id, n, len(s.want.mask))
		}
	}
	t.Logf("%.1fs: Orthanc started, sources uploaded, lungo predict done", time.Since(start).Seconds())

	count := func() int {
		t.Helper()
		n := 0
		for _, s := range srcs {
			refs, err := c.StudyInstances(ctx, s.study)
			if err != nil {
				t.Fatal(err)
			}
			n += len(refs)
		}
		return n
	}
	// check compares what Orthanc holds for source i with predict's files.
	check := func(i int) {
		t.Helper()
		s := srcs[i]
		refs, err := c.Results(ctx, s.study, s.sop, "lungo")
		if err != nil {
			t.Fatal(err)
		}
		var segB, scB []byte
		for _, r := range refs {
			b, err := c.Instance(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			switch r.SOPClassUID {
			case pacs.SegmentationSOPClass:
				segB = b
			case pacs.SecondaryCaptureSOPClass:
				scB = b
			}
		}
		if len(refs) != 2 || segB == nil || scB == nil {
			t.Fatalf("%s: Orthanc holds %d results of it (%+v), want a SEG and an SC", s.id, len(refs), refs)
		}
		got := readResults(t, s.id+" (Orthanc)", segB, scB)
		if got.segUID != s.want.segUID || got.scUID != s.want.scUID {
			t.Errorf("%s: UIDs SEG %s SC %s in Orthanc, predict wrote %s and %s", s.id, got.segUID, got.scUID, s.want.segUID, s.want.scUID)
		}
		if !bytes.Equal(got.mask, s.want.mask) {
			t.Errorf("%s: the SEG's mask in Orthanc differs from lungo predict's", s.id)
		}
		if !bytes.Equal(got.scPixels, s.want.scPixels) {
			t.Errorf("%s: the overlay's pixels in Orthanc differ from lungo predict's", s.id)
		}
	}

	// -study: the SIIM study only, credentials from the environment.
	t.Setenv(pacs.EnvUsername, srv.Username)
	t.Setenv(pacs.EnvPassword, srv.Password)
	out, err := captureStderr(t, func() error {
		return runPacs([]string{"-url", srv.URL, "-weights", weights, "-study", srcs[0].study})
	})
	if err != nil {
		t.Fatalf("lungo pacs -study: %v\n%s", err, out)
	}
	if n := count(); n != 4 {
		t.Fatalf("after -study: %d instances, want 2 sources + SEG + SC\n%s", n, out)
	}
	check(0)
	t.Logf("%.1fs: pacs -study done", time.Since(start).Seconds())

	// -watch -once from the start of the feed: the RG1 CR is new, the
	// SIIM image has its results, lungo's results are passed over. The
	// credentials come from -user and -password-file this time.
	t.Setenv(pacs.EnvUsername, "")
	t.Setenv(pacs.EnvPassword, "")
	pwFile, state := filepath.Join(dir, "pw"), filepath.Join(dir, "state", "watch.json")
	if err := os.WriteFile(pwFile, []byte(srv.Password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	auth := []string{"-user", srv.Username, "-password-file", pwFile}
	watch := append([]string{"-url", srv.URL, "-weights", weights, "-watch", "-once", "-state", state}, auth...)
	out2, err := captureStderr(t, func() error { return runPacs(watch) })
	if err != nil {
		t.Fatalf("lungo pacs -watch -once: %v\n%s", err, out2)
	}
	out += out2
	if n := count(); n != 6 {
		t.Fatalf("after -watch -once: %d instances, want 6\n%s", n, out2)
	}
	check(1)
	check(0)
	for _, want := range []string{"instance " + srcs[0].sop + ": already has lungo's SEG and SC", "instance " + srcs[1].sop + ": pneumothorax"} {
		if !strings.Contains(out2, want) {
			t.Errorf("-watch -once stderr lacks %q:\n%s", want, out2)
		}
	}
	st, err := pacs.LoadState(state)
	if err != nil || st.Last == 0 {
		t.Errorf("state after -watch -once: %+v, %v", st, err)
	}
	t.Logf("%.1fs: pacs -watch -once done", time.Since(start).Seconds())

	// Idempotent: the same feed again from its start, and each study, store
	// nothing.
	last, err := c.LastChange(ctx)
	if err != nil {
		t.Fatal(err)
	}
	again := append([]string{"-url", srv.URL, "-weights", weights, "-watch", "-once", "-state", filepath.Join(dir, "fresh.json")}, auth...)
	out3, err := captureStderr(t, func() error { return runPacs(again) })
	if err != nil {
		t.Fatalf("second -watch -once: %v\n%s", err, out3)
	}
	out += out3
	for _, s := range srcs {
		o, err := captureStderr(t, func() error {
			return runPacs(append([]string{"-url", srv.URL, "-weights", weights, "-study", s.study}, auth...))
		})
		if err != nil {
			t.Fatalf("second -study: %v\n%s", err, o)
		}
		out += o
	}
	if n := count(); n != 6 {
		t.Errorf("re-runs: %d instances, want 6", n)
	}
	if ch, _, _, err := c.Changes(ctx, last, 100); err != nil || len(ch) != 0 {
		t.Errorf("re-runs made changes %+v (%v)", ch, err)
	}

	// Only the SEG there (a run interrupted between its two uploads): the
	// overlay alone is written, the same instance as before.
	refs, err := c.Results(ctx, srcs[1].study, srcs[1].sop, "lungo")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range refs {
		if r.SOPClassUID == pacs.SecondaryCaptureSOPClass {
			if err := c.Delete(ctx, r.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	out4, err := captureStderr(t, func() error {
		return runPacs(append([]string{"-url", srv.URL, "-weights", weights, "-study", srcs[1].study}, auth...))
	})
	if err != nil {
		t.Fatalf("-study with the SC missing: %v\n%s", err, out4)
	}
	out += out4
	if !strings.Contains(out4, "; stored SC "+srcs[1].want.scUID+"\n") {
		t.Errorf("-study with the SC missing did not store the SC alone:\n%s", out4)
	}
	check(1)
	t.Logf("%.1fs: re-runs done", time.Since(start).Seconds())

	// Orthanc down: the client's retries, then an error naming the URL.
	srv.Stop()
	t0 := time.Now()
	out5, err := captureStderr(t, func() error {
		return runPacs(append([]string{"-url", srv.URL, "-weights", weights, "-study", srcs[0].study, "-retries", "3", "-retry-for", "2s"}, auth...))
	})
	out += out5
	if err == nil || !strings.Contains(err.Error(), srv.URL+"/") || !strings.Contains(err.Error(), "after 3 attempts") {
		t.Errorf("Orthanc down: error %v, want one naming %s after 3 attempts", err, srv.URL)
	}
	t.Logf("Orthanc down: %v after %v", err, time.Since(t0).Round(time.Millisecond))
	onceDown := append([]string{"-url", srv.URL, "-weights", weights, "-watch", "-once", "-state", state, "-retries", "2", "-retry-for", "1s"}, auth...)
	out6, err := captureStderr(t, func() error { return runPacs(onceDown) })
	out += out6
	if err == nil || !strings.Contains(err.Error(), srv.URL+"/changes") {
		t.Errorf("Orthanc down, -watch -once: error %v, want one naming %s/changes", err, srv.URL)
	}
	if st2, err := pacs.LoadState(state); err != nil || st2 != st {
		t.Errorf("state after a failed watch: %+v, %v; want %+v", st2, err, st)
	}

	if strings.Contains(out, srv.Password) {
		t.Errorf("the password appears on stderr")
	}
	t.Logf("%.1fs in all", time.Since(start).Seconds())
}

// TestPacsWatchRestarts runs "lungo pacs -watch" (no -once) through a
// proxy in front of a real Orthanc that answers 503 at first: the watch
// fails after its retries, starts again after a wait, and once the PACS
// answers it stores the results of a radiograph uploaded meanwhile. It
// stops cleanly when its context ends, with the position saved.
func TestPacsWatchRestarts(t *testing.T) {
	srv := orthanctest.Start(t)
	src := sharedPath(t, "siim-real/dicom/1.2.276.0.7230010.3.1.4.8323329.301.1517875162.280319.dcm")
	weights := testModel(t)
	target, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	var down atomic.Bool
	var refused atomic.Int64
	down.Store(true)
	rp := httputil.NewSingleHostReverseProxy(target)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			refused.Add(1)
			http.Error(w, "down for the test", http.StatusServiceUnavailable)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	defer proxy.Close()

	t.Setenv(pacs.EnvUsername, srv.Username)
	t.Setenv(pacs.EnvPassword, srv.Password)
	state := filepath.Join(t.TempDir(), "watch.json")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- runPacsContext(ctx, []string{"-url", proxy.URL, "-weights", weights, "-watch", "-state", state,
			"-interval", "100ms", "-retries", "2", "-retry-for", "500ms"})
	}()
	deadline := time.Now().Add(2 * time.Minute)
	for refused.Load() < 2 { // the first Watch's request and its retry
		if time.Now().After(deadline) {
			t.Fatal("the watcher never asked the PACS")
		}
		time.Sleep(20 * time.Millisecond)
	}
	c := &pacs.Client{BaseURL: srv.URL, Username: srv.Username, Password: srv.Password}
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := c.Upload(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	down.Store(false)
	f, err := dicom.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	for {
		refs, err := c.Results(ctx, f.String(dicom.StudyInstanceUID), stored.SOPInstanceUID, "lungo")
		if err != nil {
			t.Fatal(err)
		}
		// Done when both results are stored and the change is recorded as
		// handled (cancelling between the two would leave the position
		// before it, rightly: a restart would find the results there).
		if st, err := pacs.LoadState(state); err != nil {
			t.Fatal(err)
		} else if len(refs) == 2 && st.Last > 0 {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("the watcher ended: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no results after the PACS came back (%d results)", len(refs))
		}
		time.Sleep(100 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("the watcher stopped with %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the watcher did not stop")
	}
}

// TestPacsFlags: wrong combinations are refused before anything runs.
func TestPacsFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-weights", "w", "-study", "1.2"}, "-url is required"},
		{[]string{"-url", "http://127.0.0.1:1", "-weights", "w"}, "give -study UID or -watch"},
		{[]string{"-url", "http://127.0.0.1:1", "-weights", "w", "-study", "1.2", "-watch"}, "give -study UID or -watch"},
		{[]string{"-url", "http://127.0.0.1:1", "-weights", "w", "-study", "1.2", "-once"}, "-once goes with -watch"},
		{[]string{"-url", "ftp://x", "-weights", "w", "-study", "1.2"}, "-url must be"},
		{[]string{"-url", "http://127.0.0.1:1", "-weights", "w", "-study", "1.2", "-password-file", "/nonexistent/pw"}, "-password-file"},
		{[]string{"-url", "http://127.0.0.1:1", "-study", "1.2"}, "-weights is required"},
	} {
		err := runPacs(c.args)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("lungo pacs %v: %v, want %q", c.args, err, c.want)
		}
		var ue *usageError
		// A mistake in the command line exits 2; an unreadable password file 1.
		if want, got := !strings.Contains(c.want, "-password-file"), errors.As(err, &ue); got != want {
			t.Errorf("lungo pacs %v: usage error (exit 2) %v, want %v", c.args, got, want)
		}
	}
}

// TestPredictSEGDeterministic: "lungo predict -seg -sc" on synthetic
// radiographs writes the same instances (UIDs, masks) on every run, and
// other thresholds name other instances.
func TestPredictSEGDeterministic(t *testing.T) {
	dir, _ := writeTinySynth(t, 2)
	images := filepath.Join(dir, "dicom-images-train")
	weights := testModel(t)
	run := func(extra ...string) map[string]resultFiles {
		t.Helper()
		out := t.TempDir()
		args := append([]string{"-weights", weights, "-dicom", images, "-seg", out, "-sc", out}, extra...)
		if err := runPredict(args); err != nil {
			t.Fatal(err)
		}
		segs, _ := filepath.Glob(filepath.Join(out, "*.seg.dcm"))
		if len(segs) != 2 {
			t.Fatalf("wrote %d SEGs, want 2", len(segs))
		}
		res := map[string]resultFiles{}
		for _, s := range segs {
			id := strings.TrimSuffix(filepath.Base(s), ".seg.dcm")
			segB, err := os.ReadFile(s)
			if err != nil {
				t.Fatal(err)
			}
			scB, err := os.ReadFile(filepath.Join(out, id+".sc.dcm"))
			if err != nil {
				t.Fatal(err)
			}
			res[id] = readResults(t, id, segB, scB)
		}
		return res
	}
	a, b := run(), run()
	other := filepath.Join(t.TempDir(), "t.json")
	th, _ := json.Marshal(thresholds{Size: 128, Triplet: infer.Triplet{Top: 0.6, Bottom: 0.6}})
	if err := os.WriteFile(other, th, 0o644); err != nil {
		t.Fatal(err)
	}
	c := run("-thresholds", other)
	for id, ra := range a {
		rb, rc := b[id], c[id]
		if ra.segUID != rb.segUID || ra.scUID != rb.scUID || !slices.Equal(ra.mask, rb.mask) || !bytes.Equal(ra.scPixels, rb.scPixels) {
			t.Errorf("%s: two runs wrote different results", id)
		}
		if ra.segUID == rc.segUID || ra.scUID == rc.scUID {
			t.Errorf("%s: other thresholds, same UIDs", id)
		}
		if ra.segUID == ra.scUID {
			t.Errorf("%s: the SEG and the SC share the UID %s", id, ra.segUID)
		}
	}
}
