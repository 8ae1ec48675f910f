package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lungo-ml/lungo/infer"
)

// The page at GET / in a real browser: Debian's chromium, headless, driven
// over the DevTools protocol by chromedp (a test-only dependency: the
// library does not link it).

const chromiumPath = "/usr/bin/chromium"

// needChromium skips the test without a browser, or fails it in CI, which
// installs one (.ci/run).
func needChromium(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing: CI needs Debian's chromium (apt-get install -y chromium): %v", chromiumPath, err)
		}
		t.Skipf("no browser: %v (apt-get install -y chromium)", err)
	}
}

// newBrowser starts a headless chromium with a fresh profile and returns a
// chromedp context for one tab; the browser ends with the test. Its output
// is logged if the test fails.
func newBrowser(t *testing.T, ctx context.Context) context.Context {
	t.Helper()
	var buf bytes.Buffer
	var mu sync.Mutex
	out := &lockedWriter{w: &buf, mu: &mu}
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox, // root in CI containers
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1200, 900),
		chromedp.CombinedOutput(out),
	)
	bctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc() // waits for the browser to exit, before TempDir's removal
		if t.Failed() {
			mu.Lock()
			t.Logf("browser output:\n%s", buf.String())
			mu.Unlock()
		}
	})
	return bctx
}

// overlayCheck is what the page shows once an overlay has loaded.
type overlayCheck struct {
	Error       string  `json:"error"`
	Width       int     `json:"width"`  // naturalWidth
	Height      int     `json:"height"` // naturalHeight
	Shown       float64 `json:"shown"`  // rendered width in CSS pixels
	Red         int     `json:"red"`    // predicted-outline pixels drawn on a canvas
	Probability string  `json:"probability"`
	Area        string  `json:"area"`
	Summary     string  `json:"summary"`
}

// inspectOverlay draws #overlay on a canvas and counts the pixels of the
// predicted outline (infer.PredColor; the radiograph itself is grey).
const inspectOverlay = `(() => {
	const img = document.getElementById('overlay'), s = document.getElementById('summary');
	const c = document.createElement('canvas');
	c.width = img.naturalWidth; c.height = img.naturalHeight;
	const x = c.getContext('2d');
	x.drawImage(img, 0, 0);
	const d = x.getImageData(0, 0, c.width, c.height).data;
	let red = 0;
	for (let i = 0; i < d.length; i += 4) if (d[i] > 200 && d[i+1] < 80 && d[i+2] < 80) red++;
	return {error: document.getElementById('error').textContent, width: img.naturalWidth, height: img.naturalHeight,
		shown: img.getBoundingClientRect().width, red,
		probability: s.dataset.probability || '', area: s.dataset.area || '', summary: s.textContent};
})()`

func isRed(r, g, b uint8) bool { return r > 200 && g < 80 && b < 80 }

// TestPageInBrowser uploads a real 1024x1024 radiograph through the page's
// file input and checks, in the browser, that the overlay appears at the
// image's size with the predicted outline drawn and the summary filled in,
// all equal to what the API answers for the same file.
func TestPageInBrowser(t *testing.T) {
	needChromium(t)
	path, err := filepath.Abs(sharedFile(t, "siim-real/images/1.2.276.0.7230010.3.1.4.8323329.372.1517875162.608228.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	in, err := decode("jpeg", body, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	if b := in.img.Rect; b.Dx() != 1024 || b.Dy() != 1024 {
		t.Fatalf("%s is %v, want 1024x1024", path, b)
	}

	// The untrained model's probabilities are nearly flat (about 0.493):
	// thresholds at the 90th percentile of its own output on this image
	// give a mask of about a tenth of it, neither empty nor the whole frame.
	m := testModel(t)
	res, err := infer.PredictImages(context.Background(), infer.Predictor{Model: m}, []string{""}, []*image.Gray{in.img},
		infer.Config{Size: testSize, Batch: 1, Triplet: infer.Triplet{Top: 0.5, Bottom: 0.5}})
	if err != nil {
		t.Fatal(err)
	}
	p := slices.Clone(res[0].Prob)
	slices.Sort(p)
	q := p[len(p)*9/10]
	s := New(m, Options{Size: testSize, Triplet: infer.Triplet{Top: q, Bottom: q}, Arch: m.Config.Describe(), Log: quietLog()})
	// Count the page's prediction requests: one per image.
	var posts atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "POST" && r.URL.Path == "/v1/predict" {
			posts.Add(1)
		}
		s.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	url := ts.URL

	// What the API answers for the same bytes: the page must show the same.
	resp, b := post(t, url+"/v1/predict?output=overlay", "image/jpeg", body)
	if resp.StatusCode != 200 {
		t.Fatalf("overlay: status %d: %s", resp.StatusCode, b)
	}
	want, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	rgba, ok := want.(*image.RGBA)
	if !ok {
		t.Fatalf("overlay PNG decodes to %T, want *image.RGBA", want)
	}
	wantRed := 0
	for i := 0; i < len(rgba.Pix); i += 4 {
		if isRed(rgba.Pix[i], rgba.Pix[i+1], rgba.Pix[i+2]) {
			wantRed++
		}
	}
	var api Result
	if r, b := post(t, url+"/v1/predict", "image/jpeg", body); r.StatusCode != 200 {
		t.Fatalf("predict: status %d: %s", r.StatusCode, b)
	} else if err := json.Unmarshal(b, &api); err != nil {
		t.Fatal(err)
	}
	if api.MaskArea < 1024*1024/50 || api.MaskArea > 1024*1024/3 {
		t.Fatalf("mask area %d of 1024x1024 with thresholds %v: the test needs a mask that is neither empty nor everything", api.MaskArea, q)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	bctx := newBrowser(t, ctx)
	var (
		mu      sync.Mutex
		console []chromedp.ConsoleMessage
	)
	msgs := chromedp.Console(bctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			mu.Lock()
			console = append(console, m)
			mu.Unlock()
		}
	}()
	before := posts.Load()
	start := time.Now()
	if err := chromedp.Do(bctx,
		chromedp.Navigate(url+"/"),
		chromedp.WaitVisible(chromedp.ID("drop")),
		// The hidden input's change event calls send(file).
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{path}),
	); err != nil {
		t.Fatal(err)
	}
	// Wait for the overlay, or for the page to report an error.
	if _, err := chromedp.Run(bctx, chromedp.Poll[bool](
		`(document.getElementById('overlay').dataset.loaded === '1' && document.getElementById('summary').dataset.area !== undefined) || document.getElementById('error').textContent !== ''`,
		chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("waiting for the overlay: %v", err)
	}
	got, err := chromedp.Run(bctx, chromedp.Evaluate[overlayCheck](inspectOverlay))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("page: %q, %d outline pixels, in %v", got.Summary, got.Red, time.Since(start).Round(time.Millisecond))
	if got.Error != "" {
		t.Fatalf("the page shows an error: %q", got.Error)
	}
	if got.Width != 1024 || got.Height != 1024 {
		t.Errorf("overlay is %dx%d, want 1024x1024", got.Width, got.Height)
	}
	if predictions := posts.Load() - before; predictions != 1 {
		t.Errorf("the page made %d prediction requests for one image, want 1", predictions)
	}
	if got.Shown < 100 {
		t.Errorf("overlay is rendered %v CSS pixels wide", got.Shown)
	}
	if got.Red == 0 {
		t.Errorf("no predicted outline in the overlay (mask area %d)", api.MaskArea)
	}
	if got.Red != wantRed {
		t.Errorf("overlay in the browser has %d outline pixels, the API's overlay %d", got.Red, wantRed)
	}
	if want := fmt.Sprint(api.Probability); got.Probability != want {
		t.Errorf("page's probability %q, API's %s", got.Probability, want)
	}
	if want := fmt.Sprint(api.MaskArea); got.Area != want {
		t.Errorf("page's mask area %q, API's %s", got.Area, want)
	}
	if want := fmt.Sprintf("probability %.3f, mask area %d px of 1024x1024", api.Probability, api.MaskArea); !strings.Contains(got.Summary, want) {
		t.Errorf("summary %q does not say %q", got.Summary, want)
	}

	shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(shot)); err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	out := os.Getenv("LUNGO_SCREENSHOT")
	if out == "" {
		out = filepath.Join(t.TempDir(), "page.png")
	}
	if err := os.WriteFile(out, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", out)

	mu.Lock()
	defer mu.Unlock()
	// The page's script must run without an exception or a console error
	// of its own (the browser's log, e.g. a 404 for /favicon.ico, is not
	// the page's).
	for _, c := range console {
		if c.IsException() || (c.Type == chromedp.ConsoleError && c.Source == "") {
			t.Errorf("browser console: %s", c)
		} else {
			t.Logf("browser console: %s", c)
		}
	}
}
