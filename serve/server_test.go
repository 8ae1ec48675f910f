package serve

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"github.com/lungo-ml/lungo/internal/shareddata"
	"hash/crc32"
	"image"
	"image/png"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lungo-ml/lungo/data/dicom"
	"github.com/lungo-ml/lungo/data/siim"
	"github.com/lungo-ml/lungo/infer"
	"github.com/lungo-ml/lungo/internal/npy"
	"github.com/lungo-ml/lungo/models/unet"
	"github.com/lungo-ml/lungo/tensor"
)

// These tests run the server on a loopback port (httptest.NewServer) and
// talk to it with net/http's client, or raw TCP where a client must
// misbehave.

func sharedFile(t testing.TB, rel string) string {
	t.Helper()
	return shareddata.Path(t, rel)
}

// testModel is a small untrained U-Net; the tests check the plumbing, so
// its predictions only have to be deterministic.
func testModel(t testing.TB) *unet.Model {
	t.Helper()
	m, err := unet.New(unet.Config{Encoder: "resnet18", InChannels: 1, Classes: 1, DecoderChannels: []int{32, 16, 16, 8, 8}}, tensor.NewRNG(3))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

const testSize = 64

// start serves s on loopback and returns its base URL.
func start(t testing.TB, s *Server) string {
	t.Helper()
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts.URL
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newTestServer(t testing.TB, opt Options) (*Server, *unet.Model) {
	t.Helper()
	m := testModel(t)
	if opt.Size == 0 {
		opt.Size = testSize
	}
	if opt.Log == nil {
		opt.Log = quietLog()
	}
	opt.Arch = m.Config.Describe()
	s := New(m, opt)
	return s, m
}

func post(t testing.TB, url, ctype string, body []byte) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Post(url, ctype, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// direct is what a serial prediction of img gives (lungo predict's path).
func direct(t testing.TB, m *unet.Model, img *image.Gray) infer.Result {
	t.Helper()
	res, err := infer.PredictImages(context.Background(), infer.Predictor{Model: m}, []string{""}, []*image.Gray{img},
		infer.Config{Size: testSize, Batch: 1, Triplet: infer.Triplet{Top: 0.5, Bottom: 0.5}})
	if err != nil {
		t.Fatal(err)
	}
	return res[0]
}

func TestPredictDICOMMatchesDirect(t *testing.T) {
	path := sharedFile(t, "siim-real/dicom/1.2.276.0.7230010.3.1.4.8323329.301.1517875162.280319.dcm")
	body, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, m := newTestServer(t, Options{})
	url := start(t, s)
	if resp, _ := get(t, url+"/readyz"); resp.StatusCode != 503 {
		t.Errorf("readyz before warm-up: %d, want 503", resp.StatusCode)
	}
	if err := s.Warm(context.Background()); err != nil {
		t.Fatal(err)
	}
	if resp, _ := get(t, url+"/readyz"); resp.StatusCode != 200 {
		t.Errorf("readyz after warm-up: %d, want 200", resp.StatusCode)
	}
	resp, b := post(t, url+"/v1/predict", "application/dicom", body)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	var r Result
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	img, err := dicom.ReadGray8File(path)
	if err != nil {
		t.Fatal(err)
	}
	want := direct(t, m, img)
	if r.ID != "1.2.276.0.7230010.3.1.4.8323329.301.1517875162.280319" || r.Format != "dicom" || r.Width != 1024 || r.Height != 1024 {
		t.Errorf("id %q format %q size %dx%d", r.ID, r.Format, r.Width, r.Height)
	}
	if r.RLE != siim.EncodeRLE(want.Mask) || r.MaskArea != want.Mask.Count() || r.Positive != !want.Mask.Empty() {
		t.Errorf("served mask (area %d, positive %v) differs from the direct prediction (area %d)", r.MaskArea, r.Positive, want.Mask.Count())
	}
	maxP := float32(0)
	for _, p := range want.Prob {
		maxP = max(maxP, p)
	}
	if r.Probability != maxP || r.Thresholds.Size != testSize || r.Model.Arch == "" {
		t.Errorf("probability %g (want %g), thresholds %+v, model %+v", r.Probability, maxP, r.Thresholds, r.Model)
	}
	if r.TimingsMS.Total <= 0 || r.TimingsMS.Predict <= 0 {
		t.Errorf("timings %+v", r.TimingsMS)
	}

	// The same image as a mask PNG (Accept) and an overlay PNG (?output=).
	req, _ := http.NewRequest("POST", url+"/v1/predict", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/dicom")
	req.Header.Set("Accept", "image/png")
	mresp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	mimg, err := png.Decode(mresp.Body)
	mresp.Body.Close()
	if err != nil || mresp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("mask PNG: %v, type %q", err, mresp.Header.Get("Content-Type"))
	}
	g, ok := mimg.(*image.Gray)
	if !ok || g.Rect.Dx() != 1024 {
		t.Fatalf("mask PNG is %T of %v", mimg, mimg.Bounds())
	}
	n := 0
	for i, v := range g.Pix {
		if (v != 0) != (want.Mask.Pix[i] != 0) {
			t.Fatalf("mask PNG pixel %d is %d, the mask has %d", i, v, want.Mask.Pix[i])
		}
		if v != 0 {
			n++
		}
	}
	if n != r.MaskArea {
		t.Errorf("mask PNG has %d pixels set, JSON area %d", n, r.MaskArea)
	}
	oresp, ob := post(t, url+"/v1/predict?output=overlay", "application/dicom", body)
	oimg, err := png.Decode(bytes.NewReader(ob))
	if err != nil || oresp.StatusCode != 200 || oimg.Bounds().Dx() != 1024 {
		t.Fatalf("overlay: status %d, %v", oresp.StatusCode, err)
	}
	// ?include=overlay: the same answer with that overlay inside (the web
	// page's single request).
	iresp, ib := post(t, url+"/v1/predict?include=overlay", "application/dicom", body)
	var ir Result
	if err := json.Unmarshal(ib, &ir); err != nil || iresp.StatusCode != 200 {
		t.Fatalf("include=overlay: status %d, %v", iresp.StatusCode, err)
	}
	if ir.RLE != r.RLE || ir.Probability != r.Probability {
		t.Errorf("include=overlay answers another prediction")
	}
	if !bytes.Equal(ir.OverlayPNG, ob) {
		t.Errorf("include=overlay: %d PNG bytes, ?output=overlay %d: differ", len(ir.OverlayPNG), len(ob))
	}
	if len(r.OverlayPNG) != 0 || bytes.Contains(b, []byte("overlay_png")) {
		t.Errorf("a plain JSON answer carries an overlay")
	}
}

func get(t testing.TB, url string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestPredictFormats: JPEG, PNG (8- and 16-bit, colour) and .npy bodies,
// typed or sniffed, give the direct prediction of the same pixels.
func TestPredictFormats(t *testing.T) {
	jpg, err := os.ReadFile(sharedFile(t, "siim-real/images/1.2.276.0.7230010.3.1.4.8323329.1000.1517875165.878027.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	s, m := newTestServer(t, Options{})
	url := start(t, s)
	src, _, err := image.Decode(bytes.NewReader(jpg))
	if err != nil {
		t.Fatal(err)
	}
	gray := toGray(src)
	var pngBody bytes.Buffer
	png.Encode(&pngBody, gray)
	g16 := image.NewGray16(gray.Rect)
	for i, v := range gray.Pix {
		binary.BigEndian.PutUint16(g16.Pix[2*i:], uint16(v)<<8|0x7f)
	}
	var png16 bytes.Buffer
	png.Encode(&png16, g16)
	var npyBody bytes.Buffer
	u := make([]uint8, len(gray.Pix))
	copy(u, gray.Pix)
	if err := npy.WriteUint8(&npyBody, []int{gray.Rect.Dy(), gray.Rect.Dx()}, u); err != nil {
		t.Fatal(err)
	}
	want := siim.EncodeRLE(direct(t, m, gray).Mask)
	for _, c := range []struct {
		name, ctype, format string
		body                []byte
	}{
		{"jpeg", "image/jpeg", "jpeg", jpg},
		{"jpeg sniffed", "", "jpeg", jpg},
		{"png", "image/png", "png", pngBody.Bytes()},
		{"png 16-bit sniffed", "application/octet-stream", "png", png16.Bytes()},
		{"npy", "application/x-npy", "npy", npyBody.Bytes()},
	} {
		resp, b := post(t, url+"/v1/predict", c.ctype, c.body)
		if resp.StatusCode != 200 {
			t.Errorf("%s: status %d: %s", c.name, resp.StatusCode, b)
			continue
		}
		var r Result
		json.Unmarshal(b, &r)
		if r.Format != c.format || r.RLE != want {
			t.Errorf("%s: format %q, mask differs from the direct prediction: %v", c.name, r.Format, r.RLE != want)
		}
	}
}

// pngHeader returns a PNG signature and IHDR chunk claiming w x h 8-bit
// grey pixels, and nothing after.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 0 // 8-bit greyscale
	binary.Write(&b, binary.BigEndian, uint32(13))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

// TestHostileBodies: every bad body gets its status and a JSON error naming
// the problem, nothing is allocated for a huge claimed image, and the
// server keeps answering.
func TestHostileBodies(t *testing.T) {
	dcm, err := os.ReadFile(sharedFile(t, "siim-real/dicom/1.2.276.0.7230010.3.1.4.8323329.307.1517875162.311533.dcm"))
	if err != nil {
		t.Fatal(err)
	}
	s, _ := newTestServer(t, Options{MaxBody: 1 << 20})
	url := start(t, s) + "/v1/predict"
	random := make([]byte, 5000)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	for _, c := range []struct {
		name, ctype string
		body        []byte
		status      int
		says        string
	}{
		{"truncated DICOM", "application/dicom", dcm[:len(dcm)/2], 422, "DICOM"},
		{"DICOM header only", "application/dicom", dcm[:200], 422, "DICOM"},
		{"random bytes as DICOM", "application/dicom", random, 422, "DICOM"},
		{"random bytes untyped", "", random, 415, "unrecognised"},
		{"1-byte PNG", "image/png", []byte{0x89}, 422, "PNG"},
		{"huge PNG header", "image/png", pngHeader(100000, 100000), 422, "exceeds the limit"},
		{"text", "text/plain", []byte("hello"), 415, "unsupported Content-Type"},
		{"bad npy", "application/x-npy", []byte("\x93NUMPY\x01\x00{'descr': '<f4', 'shape': (3,), }"), 422, ".npy"},
		{"over the body limit", "application/dicom", make([]byte, 2<<20), 413, "limit"},
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		resp, b := post(t, url, c.ctype, c.body)
		runtime.ReadMemStats(&after)
		var e errorBody
		if resp.StatusCode != c.status || json.Unmarshal(b, &e) != nil || !strings.Contains(e.Error, c.says) {
			t.Errorf("%s: status %d, body %s; want %d naming %q", c.name, resp.StatusCode, b, c.status, c.says)
		}
		if c.name == "huge PNG header" && after.TotalAlloc-before.TotalAlloc > 64<<20 {
			t.Errorf("a PNG header claiming 100000x100000 made the process allocate %d MiB", (after.TotalAlloc-before.TotalAlloc)>>20)
		}
	}
	// A chunked body (no Content-Length) over the limit: 413 as well.
	pr, pw := io.Pipe()
	go func() {
		for range 40 {
			if _, err := pw.Write(make([]byte, 64<<10)); err != nil {
				return
			}
		}
		pw.Close()
	}()
	resp, err := http.Post(url, "application/dicom", pr)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 413 {
		t.Errorf("chunked body over the limit: %d, want 413", resp.StatusCode)
	}
	if resp, _ := post(t, url, "application/dicom", dcm); resp.StatusCode != 200 {
		t.Errorf("a good request after the bad ones: %d", resp.StatusCode)
	}
}

// TestQueueFull: with every worker and queue place taken (clients that
// send their bodies slowly), the next request gets 503 with Retry-After at
// once; once they finish, requests are served again.
func TestQueueFull(t *testing.T) {
	s, _ := newTestServer(t, Options{Workers: 1, Queue: 1})
	base := start(t, s)
	url := base + "/v1/predict"
	var writers []*io.PipeWriter
	var wg sync.WaitGroup
	for range 2 {
		pr, pw := io.Pipe()
		writers = append(writers, pw)
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Post(url, "application/dicom", pr)
			if err == nil {
				resp.Body.Close()
			}
		}()
		pw.Write([]byte("partial"))
	}
	// Wait until both are admitted.
	deadline := time.Now().Add(10 * time.Second)
	for len(s.admit) < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	t0 := time.Now()
	resp, b := post(t, url, "application/dicom", []byte("x"))
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Errorf("over the queue: status %d, Retry-After %q: %s", resp.StatusCode, resp.Header.Get("Retry-After"), b)
	}
	if d := time.Since(t0); d > 2*time.Second {
		t.Errorf("the 503 took %v", d)
	}
	_, metrics := get(t, base+"/metrics")
	if !strings.Contains(metrics, "lungo_rejected_total 1") || !strings.Contains(metrics, `lungo_http_requests_total{code="503"} 1`) {
		t.Errorf("metrics do not count the rejection:\n%s", metrics)
	}
	for _, w := range writers {
		w.CloseWithError(io.ErrUnexpectedEOF)
	}
	wg.Wait()
	for len(s.admit) > 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if resp, _ := post(t, url, "text/plain", []byte("x")); resp.StatusCode != 415 {
		t.Errorf("after the slow clients left: %d, want 415 (admitted again)", resp.StatusCode)
	}
}

// TestTimeout: a request whose time runs out waiting for a worker or
// predicting gets 504.
func TestTimeout(t *testing.T) {
	jpg, err := os.ReadFile(sharedFile(t, "siim-real/images/1.2.276.0.7230010.3.1.4.8323329.1000.1517875165.878027.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	s, _ := newTestServer(t, Options{Timeout: time.Millisecond, Size: 256})
	resp, b := post(t, start(t, s)+"/v1/predict", "image/jpeg", jpg)
	if resp.StatusCode != 504 {
		t.Errorf("status %d, want 504: %s", resp.StatusCode, b)
	}
}

// TestPanicRecovered: a panicking handler is answered 500, logged and
// counted, and the server keeps serving.
func TestPanicRecovered(t *testing.T) {
	var logBuf bytes.Buffer
	var mu sync.Mutex
	s, _ := newTestServer(t, Options{Log: slog.New(slog.NewJSONHandler(&lockedWriter{w: &logBuf, mu: &mu}, nil))})
	s.mux.HandleFunc("GET /boom", func(http.ResponseWriter, *http.Request) { panic("boom") })
	base := start(t, s)
	if resp, _ := get(t, base+"/boom"); resp.StatusCode != 500 {
		t.Errorf("panic: status %d, want 500", resp.StatusCode)
	}
	if resp, body := get(t, base+"/healthz"); resp.StatusCode != 200 || body != "ok\n" {
		t.Errorf("after a panic: %d %q", resp.StatusCode, body)
	}
	_, metrics := get(t, base+"/metrics")
	for _, want := range []string{"lungo_panics_total 1", `lungo_http_requests_total{code="500"} 1`, "lungo_http_request_duration_seconds_count", "process_resident_memory_bytes", "lungo_queue_depth 0"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	mu.Lock()
	logs := logBuf.String()
	mu.Unlock()
	if !strings.Contains(logs, `"panic":"boom"`) || !strings.Contains(logs, `"msg":"request"`) {
		t.Errorf("log lacks the panic or the request line:\n%s", logs)
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// TestConcurrentRequests: 12 clients at once on 2 workers (and a queue that
// holds them all) get the serial answer every time.
func TestConcurrentRequests(t *testing.T) {
	jpg, err := os.ReadFile(sharedFile(t, "siim-real/images/1.2.276.0.7230010.3.1.4.8323329.307.1517875162.311533.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	s, m := newTestServer(t, Options{Workers: 2, Queue: 16})
	url := start(t, s) + "/v1/predict"
	src, _, _ := image.Decode(bytes.NewReader(jpg))
	want := siim.EncodeRLE(direct(t, m, toGray(src)).Mask)
	var wg sync.WaitGroup
	errs := make(chan string, 12)
	for range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Post(url, "image/jpeg", bytes.NewReader(jpg))
			if err != nil {
				errs <- err.Error()
				return
			}
			defer resp.Body.Close()
			var r Result
			if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || resp.StatusCode != 200 || r.RLE != want {
				errs <- fmt.Sprintf("status %d, err %v, same mask %v", resp.StatusCode, err, r.RLE == want)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestSlowHeaderClient: a client that dribbles its headers does not hold
// up others (the http.Server's ReadHeaderTimeout is cmd/lungo's job; here:
// requests keep being served while such a connection is open).
func TestSlowHeaderClient(t *testing.T) {
	s, _ := newTestServer(t, Options{})
	ts := httptest.NewUnstartedServer(s)
	ts.Config.ReadHeaderTimeout = 200 * time.Millisecond
	ts.Start()
	defer ts.Close()
	c, err := net.Dial("tcp", ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("POST /v1/predict HTTP/1.1\r\nHo"))
	if resp, _ := get(t, ts.URL+"/healthz"); resp.StatusCode != 200 {
		t.Errorf("healthz beside a slow client: %d", resp.StatusCode)
	}
	c.SetReadDeadline(time.Now().Add(3 * time.Second))
	b, err := io.ReadAll(c) // the server closes the connection after ReadHeaderTimeout
	if err != nil {
		t.Errorf("the slow client's connection was still open after 3 s: %v", err)
	}
	if len(b) > 0 && !strings.Contains(string(b), " 400 ") && !strings.Contains(string(b), " 408 ") {
		t.Errorf("slow client got %q", b)
	}
}
