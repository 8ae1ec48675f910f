package serve

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/lungo-ml/lungo/data/siim"
	"github.com/lungo-ml/lungo/infer"
	"github.com/lungo-ml/lungo/models/unet"
)

// Options configure a Server. Zero values take the defaults.
type Options struct {
	Workers int // predictions at once, each on its own model replica; default 1
	Queue   int // requests admitted beyond Workers that wait for one; default 4*Workers
	// Size is the side the model sees (the training size); default 512.
	Size int
	// Triplet is the post-processing (thresholds.json); zero: a plain 0.5.
	Triplet infer.Triplet
	// Timeout bounds a request from arrival to answer (default 60 s): 504
	// beyond it.
	Timeout time.Duration
	// MaxBody bounds a request body (default 64 MiB): 413 beyond it, before
	// the body is read in full.
	MaxBody int64
	// MaxPixels bounds a decoded image (default 8192*8192): 422 beyond it,
	// checked from the header before any pixel buffer is allocated.
	MaxPixels int
	// Checkpoint names the weights in answers: a short description and
	// the file's SHA-256 (see FileHash).
	Arch, CheckpointSHA256 string
	// Reduced, when set, is a reduced-precision model built from the
	// server's model (unet.NewBF16, unet.NewInt8): every worker predicts
	// with a replica of it instead (Precision names it in answers).
	Reduced unet.Predictor
	Log     *slog.Logger // one line per request; default slog.Default()
}

func (o *Options) defaults() {
	if o.Workers < 1 {
		o.Workers = 1
	}
	if o.Queue < 0 {
		o.Queue = 0
	} else if o.Queue == 0 {
		o.Queue = 4 * o.Workers
	}
	if o.Size < 1 {
		o.Size = 512
	}
	if o.Triplet == (infer.Triplet{}) {
		o.Triplet = infer.Triplet{Top: 0.5, Bottom: 0.5}
	}
	if o.Timeout <= 0 {
		o.Timeout = 60 * time.Second
	}
	if o.MaxBody <= 0 {
		o.MaxBody = 64 << 20
	}
	if o.MaxPixels <= 0 {
		o.MaxPixels = 8192 * 8192
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
}

// Server serves a U-Net's predictions over HTTP. Create it with New; it is
// an http.Handler.
type Server struct {
	opt      Options
	replicas chan worker   // free workers
	admit    chan struct{} // a token per request admitted (working or queued)
	ready    atomic.Bool
	metrics  *metrics
	mux      *http.ServeMux
}

//go:embed index.html
var static embed.FS

// New returns a server predicting with m: Workers replicas of it share its
// weights (see unet.Model.Replica). Warm it up with Warm before it reports
// ready.
func New(m *unet.Model, opt Options) *Server {
	opt.defaults()
	s := &Server{
		opt:      opt,
		replicas: make(chan worker, opt.Workers),
		admit:    make(chan struct{}, opt.Workers+opt.Queue),
		metrics:  newMetrics(),
		mux:      http.NewServeMux(),
	}
	for range opt.Workers {
		s.replicas <- worker{m.Replica(), replicaOf(opt.Reduced)}
	}
	s.mux.HandleFunc("POST /v1/predict", s.handlePredict)
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	s.mux.HandleFunc("GET /readyz", s.handleReady)
	s.mux.HandleFunc("GET /metrics", s.handleMetrics)
	s.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		b, _ := static.ReadFile("index.html")
		w.Write(b)
	})
	return s
}

// Warm runs one prediction on every replica (a grey image at the model's
// size), so that the first requests find their memory allocated, and then
// marks the server ready (/readyz answers 200).
func (s *Server) Warm(ctx context.Context) error {
	img := image.NewGray(image.Rect(0, 0, s.opt.Size, s.opt.Size))
	for i := range img.Pix {
		img.Pix[i] = 128
	}
	var taken []worker
	defer func() {
		for _, m := range taken {
			s.replicas <- m
		}
	}()
	for range s.opt.Workers {
		m := <-s.replicas
		taken = append(taken, m)
		if _, err := s.predict(ctx, m, img); err != nil {
			return fmt.Errorf("serve: warm-up prediction: %w", err)
		}
	}
	s.ready.Store(true)
	return nil
}

// ServeHTTP answers a request, turning a panic into a logged, counted 500.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rw := &recorder{ResponseWriter: w, status: 200}
	s.metrics.inFlight.Add(1)
	defer func() {
		s.metrics.inFlight.Add(-1)
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.metrics.panics.Add(1)
			s.opt.Log.Error("panic in handler", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if !rw.wrote {
				writeError(rw, 500, "internal error")
			} else {
				rw.status = 500
			}
		}
		d := time.Since(start)
		s.metrics.observe(rw.status, d)
		attrs := []any{"method", r.Method, "path", r.URL.Path, "status", rw.status, "ms", float64(d.Microseconds()) / 1000,
			"bytes_in", r.ContentLength, "bytes_out", rw.bytes, "remote", r.RemoteAddr}
		if rw.note != "" {
			attrs = append(attrs, "note", rw.note)
		}
		s.opt.Log.Info("request", attrs...)
	}()
	s.mux.ServeHTTP(rw, r)
}

func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	if !s.ready.Load() {
		writeError(w, 503, "warming up")
		return
	}
	io.WriteString(w, "ready\n")
}

// Result is the JSON answer of POST /v1/predict.
type Result struct {
	ID          string     `json:"id,omitempty"` // SOP Instance UID of a DICOM input
	Format      string     `json:"format"`
	Width       int        `json:"width"`
	Height      int        `json:"height"`
	Probability float32    `json:"probability"` // of pneumothorax: the class head's, else the largest pixel probability
	Positive    bool       `json:"positive"`
	MaskArea    int        `json:"mask_area"` // pixels at the image's size
	RLE         string     `json:"rle"`       // SIIM run-length (relative, column-major); "-1" when empty
	Thresholds  Thresholds `json:"thresholds"`
	Model       ModelInfo  `json:"model"`
	TimingsMS   TimingsMS  `json:"timings_ms"`
	// OverlayPNG is the overlay PNG (base64 in JSON) when the request asks
	// ?include=overlay: the web page's one request per image.
	OverlayPNG []byte      `json:"overlay_png,omitempty"`
	mask       *siim.Mask  // for PNG answers
	img        *image.Gray // for overlays
}

// Thresholds are the post-processing applied at the model's size.
type Thresholds struct {
	Top     float32 `json:"top"`
	MinArea int     `json:"min_area"`
	Bottom  float32 `json:"bottom"`
	Size    int     `json:"size"`
}

// ModelInfo names the weights.
type ModelInfo struct {
	Arch             string `json:"arch"`
	CheckpointSHA256 string `json:"checkpoint_sha256,omitempty"`
	Precision        string `json:"precision"` // fp32, bf16 or int8
}

// TimingsMS are a request's phases in milliseconds.
type TimingsMS struct {
	Decode  float64 `json:"decode"`
	Queue   float64 `json:"queue"`
	Predict float64 `json:"predict"`
	Total   float64 `json:"total"`
}

func (s *Server) handlePredict(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec, _ := w.(*recorder)
	// Admission: a request the workers and the queue cannot hold is
	// refused at once, before its body is read.
	select {
	case s.admit <- struct{}{}:
	default:
		s.metrics.rejected.Add(1)
		w.Header().Set("Retry-After", "1")
		writeError(w, 503, fmt.Sprintf("server busy: %d requests in progress or queued", cap(s.admit)))
		return
	}
	defer func() { <-s.admit }()
	ctx, cancel := context.WithTimeout(r.Context(), s.opt.Timeout)
	defer cancel()

	if r.ContentLength > s.opt.MaxBody {
		writeError(w, 413, fmt.Sprintf("body of %d bytes exceeds the limit of %d", r.ContentLength, s.opt.MaxBody))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opt.MaxBody))
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			writeError(w, 413, fmt.Sprintf("body exceeds the limit of %d bytes", s.opt.MaxBody))
			return
		}
		if rec != nil {
			rec.note = "client went away: " + err.Error()
		}
		writeError(w, 400, "reading the body: "+err.Error())
		return
	}
	format, err := formatOf(r.Header.Get("Content-Type"), body)
	if err != nil {
		writeInputError(w, err)
		return
	}
	in, err := decode(format, body, s.opt.MaxPixels)
	body = nil
	if err != nil {
		writeInputError(w, err)
		return
	}
	decoded := time.Now()

	s.metrics.queued.Add(1)
	var m worker
	select {
	case m = <-s.replicas:
		s.metrics.queued.Add(-1)
	case <-ctx.Done():
		s.metrics.queued.Add(-1)
		s.timeout(w, r, ctx)
		return
	}
	got := time.Now()
	res, err := s.predict(ctx, m, in.img)
	s.replicas <- m
	if err != nil {
		if ctx.Err() != nil {
			s.timeout(w, r, ctx)
			return
		}
		panic(err) // a model failing on a decoded image is a bug: 500
	}
	done := time.Now()
	res.ID, res.Format = in.id, in.format
	res.TimingsMS = TimingsMS{Decode: ms(decoded.Sub(start)), Queue: ms(got.Sub(decoded)), Predict: ms(done.Sub(got)), Total: ms(done.Sub(start))}
	if rec != nil && res.ID != "" {
		rec.note = res.ID
	}

	switch output(r) {
	case "mask":
		g := image.NewGray(image.Rect(0, 0, res.mask.W, res.mask.H))
		for i, v := range res.mask.Pix {
			g.Pix[i] = 255 * v
		}
		writePNG(w, g)
	case "overlay":
		writePNG(w, infer.Overlay(res.img, res.mask, nil))
	default:
		if r.URL.Query().Get("include") == "overlay" {
			var buf bytes.Buffer
			if err := png.Encode(&buf, infer.Overlay(res.img, res.mask, nil)); err != nil {
				panic(err)
			}
			res.OverlayPNG = buf.Bytes()
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(res)
	}
}

// timeout answers 504 if the request's own deadline passed; a client that
// went away gets nothing (its connection is gone).
func (s *Server) timeout(w http.ResponseWriter, r *http.Request, ctx context.Context) {
	if r.Context().Err() != nil {
		if rec, ok := w.(*recorder); ok {
			rec.status, rec.note = 499, "client went away"
		}
		return
	}
	writeError(w, 504, fmt.Sprintf("no answer within %v", s.opt.Timeout))
}

// output returns "mask", "overlay" or "json" from ?output= or Accept.
func output(r *http.Request) string {
	switch o := r.URL.Query().Get("output"); o {
	case "mask", "overlay":
		return o
	}
	if strings.Contains(r.Header.Get("Accept"), "image/png") && !strings.Contains(r.Header.Get("Accept"), "application/json") {
		return "mask"
	}
	return "json"
}

// predict runs m on img and post-processes the probabilities.
func (s *Server) predict(ctx context.Context, wk worker, img *image.Gray) (*Result, error) {
	m := wk.model
	res, err := infer.PredictImages(ctx, infer.Predictor{Model: m, Reduced: wk.reduced}, []string{""}, []*image.Gray{img},
		infer.Config{Size: s.opt.Size, Batch: 1, Triplet: s.opt.Triplet})
	if err != nil {
		return nil, err
	}
	r := res[0]
	out := &Result{
		Width: img.Rect.Dx(), Height: img.Rect.Dy(),
		Positive: !r.Mask.Empty(), MaskArea: r.Mask.Count(), RLE: siim.EncodeRLE(r.Mask),
		Thresholds: Thresholds{Top: s.opt.Triplet.Top, MinArea: s.opt.Triplet.MinArea, Bottom: s.opt.Triplet.Bottom, Size: s.opt.Size},
		Model:      ModelInfo{Arch: s.opt.Arch, CheckpointSHA256: s.opt.CheckpointSHA256, Precision: precisionOf(wk.reduced)},
		mask:       r.Mask, img: img,
	}
	if m.Config.ClassHead > 0 {
		out.Probability = r.Class
	} else {
		for _, p := range r.Prob {
			out.Probability = max(out.Probability, p)
		}
	}
	return out, nil
}

// worker is one replica of the model, and of its reduced-precision form
// when the server has one.
type worker struct {
	model   *unet.Model
	reduced unet.Predictor
}

// replicaOf returns a replica of a reduced-precision model (shared weights,
// its own memory), or nil for nil.
func replicaOf(p unet.Predictor) unet.Predictor {
	switch r := p.(type) {
	case nil:
		return nil
	case *unet.BF16Model:
		return r.Replica()
	case *unet.Int8Model:
		return r.Replica()
	}
	panic(fmt.Sprintf("serve: Options.Reduced of type %T: want a *unet.BF16Model or *unet.Int8Model", p))
}

// precisionOf names the number format a worker predicts in.
func precisionOf(p unet.Predictor) string {
	switch p.(type) {
	case *unet.BF16Model:
		return unet.BF16.String()
	case *unet.Int8Model:
		return unet.Int8.String()
	}
	return unet.FP32.String()
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func writePNG(w http.ResponseWriter, img image.Image) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		panic(err)
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Write(buf.Bytes())
}

// errorBody is the JSON of an error answer.
type errorBody struct {
	Error  string `json:"error"`
	Status int    `json:"status"`
}

func writeError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(errorBody{Error: msg, Status: status})
}

func writeInputError(w http.ResponseWriter, err error) {
	var ie *inputError
	if errors.As(err, &ie) {
		writeError(w, ie.status, ie.msg)
		return
	}
	writeError(w, 422, err.Error())
}

// recorder keeps what the log line and the metrics need.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
	wrote  bool
	note   string
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// FileHash returns the SHA-256 of a file's bytes, hex-encoded.
func FileHash(r io.Reader) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
