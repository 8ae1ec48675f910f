package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/lungo-ml/lungo/infer"
	"github.com/lungo-ml/lungo/kernels"
	"github.com/lungo-ml/lungo/models/unet"
	"github.com/lungo-ml/lungo/serve"
)

// lungo serve: the model behind an HTTP service (package serve), with the
// http.Server's own limits and a graceful stop on SIGTERM/SIGINT.
func init() {
	register("serve", "serve a U-Net's predictions over HTTP (POST /v1/predict, /metrics, a web page)", runServe)
}

func runServe(args []string) error {
	fs := newFlags("serve", "-weights FILE [-addr 127.0.0.1:8080] [-workers N] [-queue Q] [-threads T] [-precision fp32|bf16|int8]")
	mf := addModelFlags(fs)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	workers := fs.Int("workers", 1, "predictions at once, each on its own replica of the model (shared weights)")
	queue := fs.Int("queue", 0, "requests that may wait for a worker beyond those running; more get 503 (default 4 x workers)")
	threads := fs.Int("threads", 0, "kernel threads in all (default GOMAXPROCS); -workers predictions share them")
	size := fs.Int("size", 0, "side the model sees; default thresholds.json's, else 512")
	thrFile := fs.String("thresholds", "", "post-processing thresholds.json from lungo train (default: beside the weights, if there)")
	timeout := fs.Duration("timeout", 60*time.Second, "limit per request, from arrival to answer (504 beyond)")
	maxBody := fs.Int64("max-body", 64<<20, "largest request body in bytes (413 beyond)")
	drain := fs.Duration("drain", 30*time.Second, "on SIGTERM/SIGINT: how long in-flight requests may take to finish")
	precision := fs.String("precision", "fp32", "fp32, bf16 (bfloat16 weights and activations, float32 sums) or int8 (weights from lungo quantize)")
	if err := noArgs(fs, args); err != nil {
		return err
	}
	prec, err := unet.ParsePrecision(*precision)
	if err != nil {
		return usagef("-precision: %v", err)
	}
	if *size < 0 || (*size > 0 && *size < 32) || *size > 4096 {
		return usagef("-size %d: want 32 to 4096 (0: the thresholds' size, else 512)", *size)
	}
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	if *threads > 0 {
		kernels.SetThreads(*threads)
	}
	m, err := mf.open(os.Stderr)
	if err != nil {
		return err
	}
	var reduced unet.Predictor
	if prec != unet.FP32 {
		if reduced, err = newPredictor(m, prec, *mf.weights, os.Stderr); err != nil {
			return err
		}
	}
	tr, sz, err := postProcessing(*mf.weights, *thrFile, *size, os.Stderr)
	if err != nil {
		return err
	}
	f, err := os.Open(*mf.weights)
	if err != nil {
		return err
	}
	sum, err := serve.FileHash(f)
	f.Close()
	if err != nil {
		return err
	}
	srv := serve.New(m, serve.Options{Workers: *workers, Queue: *queue, Size: sz, Triplet: tr, Timeout: *timeout,
		MaxBody: *maxBody, Arch: m.Config.Describe(), CheckpointSHA256: sum, Log: logger, Reduced: reduced})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	hs := &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second, // slow-header clients cannot hold connections
		ReadTimeout:       *timeout,
		WriteTimeout:      *timeout + 10*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	logger.Info("listening", "addr", ln.Addr().String(), "workers", *workers, "threads", kernels.Threads(),
		"size", sz, "thresholds", tr.String(), "model", m.Config.Describe(), "checkpoint_sha256", sum)
	warmErr := make(chan error, 1)
	go func() {
		err := srv.Warm(ctx)
		if err != nil && ctx.Err() == nil {
			logger.Error("warm-up failed", "err", err.Error())
			warmErr <- err
			return
		}
		logger.Info("ready")
	}()
	var failed error
	select {
	case err := <-errc:
		return err
	case failed = <-warmErr: // drain what came in, then exit 1
	case <-ctx.Done():
	}
	stop() // a second SIGTERM/SIGINT kills the process, as without a handler
	logger.Info("stopping: draining in-flight requests", "drain", drain.String())
	sctx, cancel := context.WithTimeout(context.Background(), *drain)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("drain: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	logger.Info("stopped")
	return failed
}

// postProcessing returns the triplet and size predictions use: thresholds.json
// (thrPath, or the one beside the weights if there is one) and the -size
// flag (0: the thresholds' size, else 512), which must agree.
func postProcessing(weights, thrPath string, size int, log io.Writer) (infer.Triplet, int, error) {
	tr := infer.Triplet{Top: 0.5, Bottom: 0.5}
	if thrPath == "" {
		thrPath = filepath.Join(filepath.Dir(weights), thresholdsFile)
		if _, err := os.Stat(thrPath); err != nil {
			thrPath = ""
		}
	}
	if thrPath != "" {
		b, err := os.ReadFile(thrPath)
		if err != nil {
			return tr, 0, err
		}
		var th thresholds
		if err := json.Unmarshal(b, &th); err != nil {
			return tr, 0, fmt.Errorf("%s: %v", thrPath, err)
		}
		tr = th.Triplet
		if size == 0 {
			size = th.Size
		} else if size != th.Size {
			return tr, 0, fmt.Errorf("-size %d, but %s was chosen at %d: pass -size %d or -thresholds with matching ones", size, thrPath, th.Size, th.Size)
		}
		fmt.Fprintf(log, "post-processing from %s: %v\n", thrPath, tr)
	}
	if size == 0 {
		size = 512
	}
	return tr, size, nil
}
