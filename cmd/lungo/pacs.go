package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"image"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/lungo-ml/lungo/data/dicom"
	"github.com/lungo-ml/lungo/data/dicom/seg"
	"github.com/lungo-ml/lungo/infer"
	"github.com/lungo-ml/lungo/pacs"
)

// lungo pacs: the model next to an Orthanc PACS (package pacs). It reads
// radiographs from the archive, predicts them and stores each finding back
// into the radiograph's study as a DICOM Segmentation and an overlay
// Secondary Capture (dicomout.go), as "lungo predict -seg -sc" writes them.
//
//   - -study UID handles the radiographs of one study.
//   - -watch follows Orthanc's change feed from the position saved in the
//     state file (default: pacs-HOST_PORT.json in os.UserConfigDir()/lungo,
//     that is ~/.config/lungo on Linux), saving it after each page, and
//     restarts after a failure of the PACS with a growing wait (1 s up to
//     1 min); -once handles what is in the feed and exits.
//
// A radiograph is an instance whose modality is in -modalities (CR, DX)
// and that is neither a Segmentation nor lungo's own result (Manufacturer
// "lungo"). Before predicting one, the study is asked for lungo's results
// that reference it (pacs.Client.Results): with a SEG and an SC there it is
// passed over; with one of them, the other is written. Results are built
// in memory and uploaded whole, SEG first, with UIDs named after the
// source, the weights and the post-processing, so an interrupted run that
// is started again completes the missing object and never stores a copy.
//
// The PACS password comes from -password-file or $LUNGO_PACS_PASSWORD,
// never from a flag (which other users see in ps), and is never printed.
// A radiograph that cannot be decoded or predicted is reported and passed
// over (so one bad file cannot stop a watcher); with -study the command
// then exits non-zero at the end. Failures of the PACS are retried by the
// client (-retries, -retry-for) and then end the run (-study, -once) or
// restart the watch.
func init() {
	register("pacs", "predict the radiographs of an Orthanc PACS and store SEG and overlay results back into their studies", runPacs)
}

func runPacs(args []string) error { return runPacsContext(context.Background(), args) }

// runPacsContext is runPacs stopped by parent besides SIGINT and SIGTERM.
func runPacsContext(parent context.Context, args []string) error {
	fs := newFlags("pacs", "-url URL (-study UID | -watch [-once] [-state FILE]) -weights FILE [-user U -password-file F] [-ca FILE | -insecure]")
	mf := addModelFlags(fs)
	base := fs.String("url", "", "Orthanc's REST API, http://127.0.0.1:8042 (or https://host/orthanc)")
	study := fs.String("study", "", "handle the radiographs of the study with this Study Instance UID")
	watch := fs.Bool("watch", false, "follow Orthanc's change feed and handle each new radiograph")
	once := fs.Bool("once", false, "with -watch: handle the changes in the feed now, then exit")
	statePath := fs.String("state", "", "with -watch: file that keeps the feed position (default pacs-HOST_PORT.json in the user config folder's lungo/)")
	fromEnd := fs.Bool("from-end", false, "with -watch and no state file yet: start at the end of the feed instead of its start (pass over what is already stored)")
	interval := fs.Duration("interval", 2*time.Second, "with -watch: wait between polls of a drained feed")
	user := fs.String("user", "", "PACS username (default $"+pacs.EnvUsername+")")
	pwFile := fs.String("password-file", "", "file whose first line is the PACS password (default $"+pacs.EnvPassword+")")
	caFile := fs.String("ca", "", "PEM file of certificates to trust besides the system's (HTTPS)")
	insecure := fs.Bool("insecure", false, "accept any TLS certificate (tests only: the password may go to an impostor)")
	timeout := fs.Duration("timeout", 2*time.Minute, "limit on one HTTP exchange")
	retries := fs.Int("retries", 5, "attempts per request on connection errors, 5xx and 429, the first included")
	retryFor := fs.Duration("retry-for", 30*time.Second, "no retry of a request starts after this long")
	modalities := fs.String("modalities", "CR,DX", "modalities read as radiographs, comma-separated")
	var do dicomPredictOptions
	fs.IntVar(&do.size, "size", 0, "side the model sees (default: thresholds.json's, else 512)")
	fs.StringVar(&do.thresholds, "thresholds", "", "thresholds.json from lungo train (default: beside -weights if there)")
	fs.BoolVar(&do.tta, "tta", true, "average with the horizontally flipped image")
	fs.BoolVar(&do.useClass, "use-class", false, "decide positive/negative with the classification head")
	fs.Float64Var(&do.classThr, "class-threshold", 0.5, "classification probability above which an image is positive")
	if err := noArgs(fs, args); err != nil {
		return err
	}
	switch {
	case *base == "":
		return usagef("-url is required")
	case (*study == "") == !*watch:
		return usagef("give -study UID or -watch, one of them")
	case *once && !*watch:
		return usagef("-once goes with -watch")
	case *retries < 1:
		return usagef("-retries %d, want >= 1", *retries)
	case *mf.weights == "":
		return usagef("-weights is required")
	}
	c, err := pacsClient(*base, *user, *pwFile, *caFile, *insecure, *timeout)
	if err != nil {
		return err
	}
	c.Retry = pacs.RetryPolicy{MaxAttempts: *retries, MaxElapsed: *retryFor}

	log := os.Stderr
	m, err := mf.open(log)
	if err != nil {
		return err
	}
	tr, size, err := postProcessing(*mf.weights, do.thresholds, do.size, log)
	if err != nil {
		return err
	}
	rw, err := newResultWriter(*mf.weights, size, tr, do.tta, do.useClass, do.classThr)
	if err != nil {
		return err
	}
	r := &pacsRun{c: c, rw: rw, log: log, modalities: map[string]bool{},
		pred: infer.Predictor{Model: m, TTA: do.tta},
		cfg:  infer.Config{Size: size, Batch: 1, Triplet: tr, UseClass: do.useClass, ClassThreshold: float32(do.classThr)}}
	for _, mod := range strings.Split(*modalities, ",") {
		if mod = strings.TrimSpace(mod); mod != "" {
			r.modalities[mod] = true
		}
	}
	ctx, stop := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(log, "PACS %s; results of %s at %dx%d, %s, weights sha256 %s\n", describePACS(c), m.Config.Arch(), size, size, rw.settings, rw.modelHash)

	if *study != "" {
		return r.study(ctx, *study)
	}
	path := *statePath
	if path == "" {
		if path, err = defaultStatePath(*base); err != nil {
			return err
		}
	}
	return r.watch(ctx, path, pacs.WatchOptions{Interval: *interval, UntilDone: *once}, *fromEnd)
}

// pacsClient builds the client: the password from a file or the
// environment, HTTPS through the standard library.
func pacsClient(base, user, pwFile, caFile string, insecure bool, timeout time.Duration) (*pacs.Client, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usagef("-url must be http://HOST:PORT or https://HOST[:PORT][/PATH]")
	}
	if user == "" {
		user = os.Getenv(pacs.EnvUsername)
	}
	password := os.Getenv(pacs.EnvPassword)
	if pwFile != "" {
		b, err := os.ReadFile(pwFile)
		if err != nil {
			return nil, fmt.Errorf("-password-file: %w", err)
		}
		password, _, _ = strings.Cut(string(b), "\n")
		password = strings.TrimSuffix(password, "\r")
	}
	if u.Scheme == "http" && password != "" && !isLoopback(u.Hostname()) {
		fmt.Fprintf(os.Stderr, "warning: sending the PACS password to %s over plain HTTP\n", u.Host)
	}
	hc, err := pacs.NewHTTPClient(pacs.TLSOptions{CAFile: caFile, InsecureSkipVerify: insecure, Timeout: timeout})
	if err != nil {
		return nil, err
	}
	return &pacs.Client{BaseURL: base, Username: user, Password: password, HTTPClient: hc}, nil
}

// describePACS names the server and the user, never the password.
func describePACS(c *pacs.Client) string {
	u, err := url.Parse(c.BaseURL)
	if err != nil {
		return "(invalid URL)"
	}
	user := c.Username
	if user == "" && u.User != nil {
		user = u.User.Username()
	}
	u.User = nil
	if user == "" {
		return u.String()
	}
	return u.String() + " as " + user
}

func isLoopback(host string) bool {
	return host == "localhost" || strings.HasPrefix(host, "127.") || host == "::1"
}

// defaultStatePath is pacs-HOST_PORT.json in the user's config folder's
// lungo/, one file per server so that two archives never share a position.
func defaultStatePath(base string) (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no default for -state: %w", err)
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			return r
		}
		return '_'
	}, u.Host+strings.TrimSuffix(u.Path, "/"))
	return filepath.Join(dir, "lungo", "pacs-"+name+".json"), nil
}

// A pacsRun predicts radiographs of one PACS with one model.
type pacsRun struct {
	c          *pacs.Client
	pred       infer.Predictor
	cfg        infer.Config
	rw         *resultWriter
	modalities map[string]bool
	log        io.Writer

	predicted, stored, done, failed int
}

// study handles every radiograph of one study.
func (r *pacsRun) study(ctx context.Context, uid string) error {
	refs, err := r.c.StudyInstances(ctx, uid)
	if err != nil {
		return err
	}
	fmt.Fprintf(r.log, "study %s: %d instances\n", uid, len(refs))
	for _, ref := range refs {
		if err := r.instance(ctx, ref); err != nil {
			return err
		}
	}
	r.summary()
	if r.failed > 0 {
		return fmt.Errorf("study %s: %d radiographs could not be predicted (see above)", uid, r.failed)
	}
	return nil
}

// watch follows the change feed from the position in the state file, and
// starts again after the PACS failed, waiting longer each time.
func (r *pacsRun) watch(ctx context.Context, statePath string, opt pacs.WatchOptions, fromEnd bool) error {
	if err := os.MkdirAll(filepath.Dir(statePath), 0o755); err != nil {
		return err
	}
	st, err := pacs.LoadState(statePath)
	if err != nil {
		return err
	}
	if _, err := os.Stat(statePath); err != nil && fromEnd {
		if st.Last, err = r.c.LastChange(ctx); err != nil {
			return err
		}
	}
	fmt.Fprintf(r.log, "watching from change %d (state %s)\n", st.Last, statePath)
	opt.Progress = func(last int64) error { return pacs.State{Last: last}.Save(statePath) }
	const firstWait, maxWait = time.Second, time.Minute
	wait := firstWait
	for {
		started := time.Now()
		last, err := r.c.Watch(ctx, st.Last, opt, func(ch pacs.Change) error {
			ref, err := r.c.InstanceInfo(ctx, ch.ID)
			if errors.Is(err, pacs.ErrNotFound) {
				return nil // deleted since
			}
			if err != nil {
				return err
			}
			return r.instance(ctx, ref)
		})
		if last != st.Last {
			// Every change up to last is handled, whatever ended Watch.
			if serr := (pacs.State{Last: last}).Save(statePath); serr != nil && err == nil {
				err = serr
			}
			st.Last = last
		}
		switch {
		case err == nil: // -once: the feed is drained
			r.summary()
			fmt.Fprintf(r.log, "feed drained at change %d\n", last)
			if r.failed > 0 {
				return fmt.Errorf("%d radiographs could not be predicted (see above)", r.failed)
			}
			return nil
		case ctx.Err() != nil:
			r.summary()
			fmt.Fprintf(r.log, "stopped at change %d\n", last)
			return nil
		case opt.UntilDone || !transient(err):
			return err
		}
		if time.Since(started) > 2*maxWait {
			wait = firstWait // it had been working: a new failure
		}
		fmt.Fprintf(r.log, "watch: %v; starting again from change %d in %v\n", err, last, wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		wait = min(2*wait, maxWait)
	}
}

// transient reports whether a watch that failed with err may work when
// started again: the PACS was unreachable or answered 5xx or 429 through
// all the client's retries. Refusals (other 4xx), certificate errors, a
// feed behind the saved position and local errors are final.
func transient(err error) bool {
	var pe *pacs.Error
	if !errors.As(err, &pe) || errors.Is(err, pacs.ErrFeedBehind) {
		return false
	}
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	if errors.As(err, &unknownCA) || errors.As(err, &hostname) || errors.As(err, &invalid) || errors.As(err, &verify) {
		return false
	}
	return pe.StatusCode == 0 || pe.StatusCode >= 500 || pe.StatusCode == http.StatusTooManyRequests
}

// instance handles one stored instance: passes over what is no radiograph
// or already has lungo's results, otherwise predicts it and uploads the
// missing results. It returns the PACS's errors; a radiograph that cannot be
// decoded or predicted is reported and counted instead.
func (r *pacsRun) instance(ctx context.Context, ref pacs.InstanceRef) error {
	name := "instance " + ref.SOPInstanceUID
	switch {
	case ref.Manufacturer == seg.DefaultManufacturer:
		return nil // lungo's own result
	case ref.SOPClassUID == pacs.SegmentationSOPClass:
		fmt.Fprintf(r.log, "%s: passed over: a Segmentation\n", name)
		return nil
	case !r.modalities[ref.Modality]:
		fmt.Fprintf(r.log, "%s: passed over: modality %q is not one of -modalities\n", name, ref.Modality)
		return nil
	}
	have, err := r.c.Results(ctx, ref.StudyInstanceUID, ref.SOPInstanceUID, seg.DefaultManufacturer)
	if err != nil {
		return err
	}
	var haveSEG, haveSC bool
	for _, h := range have {
		haveSEG = haveSEG || h.SOPClassUID == pacs.SegmentationSOPClass
		haveSC = haveSC || h.SOPClassUID == pacs.SecondaryCaptureSOPClass
	}
	if haveSEG && haveSC {
		r.done++
		fmt.Fprintf(r.log, "%s: already has lungo's SEG and SC\n", name)
		return nil
	}
	b, err := r.c.Instance(ctx, ref.ID)
	if err != nil {
		return err
	}
	objs, positive, err := r.results(ctx, b, !haveSEG, !haveSC)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		r.failed++
		fmt.Fprintf(r.log, "%s: cannot predict it: %v\n", name, err)
		return nil
	}
	r.predicted++
	var what []string
	for _, o := range objs {
		st, err := r.c.Upload(ctx, o.data)
		if err != nil {
			return fmt.Errorf("%s: storing its %s: %w", name, o.kind, err)
		}
		r.stored++
		what = append(what, o.kind+" "+st.SOPInstanceUID)
	}
	finding := "no pneumothorax"
	if positive > 0 {
		finding = fmt.Sprintf("pneumothorax, %d pixels", positive)
	}
	fmt.Fprintf(r.log, "%s: %s; stored %s\n", name, finding, strings.Join(what, ", "))
	return nil
}

// A dicomObject is one result file, whole, in memory.
type dicomObject struct {
	kind string // "SEG" or "SC"
	data []byte
}

// results predicts the radiograph in the DICOM file b and writes the
// requested results; positive is the number of pixels of the finding.
func (r *pacsRun) results(ctx context.Context, b []byte, wantSEG, wantSC bool) (objs []dicomObject, positive int, err error) {
	src, err := dicom.Parse(b)
	if err != nil {
		return nil, 0, err
	}
	gray, err := src.Gray8()
	if err != nil {
		return nil, 0, err
	}
	res, err := infer.PredictImages(ctx, r.pred, []string{src.String(dicom.SOPInstanceUID)}, []*image.Gray{gray}, r.cfg)
	if err != nil {
		return nil, 0, err
	}
	mask := res[0].Mask
	if wantSEG {
		var buf bytes.Buffer
		if _, err := r.rw.segmentation(&buf, src, mask); err != nil {
			return nil, 0, err
		}
		objs = append(objs, dicomObject{"SEG", buf.Bytes()})
	}
	if wantSC {
		var buf bytes.Buffer
		if _, err := r.rw.overlay(&buf, src, gray, mask); err != nil {
			return nil, 0, err
		}
		objs = append(objs, dicomObject{"SC", buf.Bytes()})
	}
	return objs, mask.Count(), nil
}

func (r *pacsRun) summary() {
	fmt.Fprintf(r.log, "predicted %d radiographs, stored %d results, %d radiographs already had theirs, %d failed\n",
		r.predicted, r.stored, r.done, r.failed)
}
