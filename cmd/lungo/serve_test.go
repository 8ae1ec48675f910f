package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lungo-ml/lungo/models/unet"
	"github.com/lungo-ml/lungo/tensor"
)

// These tests run "lungo serve" as a process (this test binary started
// again through TestLungoMainHelper, see weights_test.go) on a loopback
// port and talk to it over TCP.

// writeServeModel saves a small untrained U-Net checkpoint in dir.
func writeServeModel(t *testing.T, dir string) string {
	t.Helper()
	m, err := unet.New(unet.Config{Encoder: "resnet18", InChannels: 1, Classes: 1, DecoderChannels: []int{32, 16, 16, 8, 8}}, tensor.NewRNG(3))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "m.lungo")
	if err := m.SaveCheckpoint(path, nil); err != nil {
		t.Fatal(err)
	}
	return path
}

// freeAddr returns a loopback address with a port nothing listened on a
// moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// syncBuffer is a bytes.Buffer that a process writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A process is a running "lungo": done closes when it has ended, and err
// is then its exit error.
type process struct {
	cmd    *exec.Cmd
	stderr *syncBuffer
	done   chan struct{}
	err    error
}

// startLungo starts "lungo args..."; the test kills it if it is still
// running at the end.
func startLungo(t *testing.T, args ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(os.Args[0], "-test.run=^TestLungoMainHelper$"), stderr: &syncBuffer{}, done: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), "LUNGO_TEST_MAIN_ARGS="+strings.Join(args, "\x1f"))
	p.cmd.Stderr = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
			t.Logf("lungo killed; its stderr:\n%s", p.stderr)
		}
	})
	return p
}

// testJPEG is a 1024x1024 radiograph-sized JPEG of noise (about 1 MB, so
// that sending it takes a while when it is sent slowly).
func testJPEG(t *testing.T) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 1024, 1024))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range img.Pix {
		img.Pix[i] = uint8(i%1024/8 + rng.IntN(128))
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// served is a "lungo serve" process on a loopback port, and the requests
// the test has had answered ("path status" -> count).
type served struct {
	*process
	addr, base string
	client     *http.Client
	answered   map[string]int
}

// startServe starts "lungo serve" with a small model on a free port and
// waits until /readyz answers 200.
func startServe(t *testing.T) *served {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("needs SIGTERM")
	}
	weights := writeServeModel(t, t.TempDir())
	s := &served{addr: freeAddr(t), answered: map[string]int{},
		// Each request on its own connection, so that none is left idle
		// in a client's pool to be closed under it by the drain.
		client: &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 30 * time.Second}}
	s.base = "http://" + s.addr
	s.process = startLungo(t, "serve", "-weights", weights, "-addr", s.addr, "-size", "64", "-threads", "1", "-drain", "20s")
	// Ready: weights loaded and one warm-up prediction done.
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, _, err := s.get(t, "/readyz")
		if code == 200 {
			return s
		}
		select {
		case <-s.done:
			t.Fatalf("lungo serve exited before it was ready (%v):\n%s", s.err, s.stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready after 30 s (last: %d, %v):\n%s", code, err, s.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *served) get(t *testing.T, path string) (int, string, error) {
	resp, err := s.client.Get(s.base + path)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, "", err
	}
	s.answered[fmt.Sprint(path, " ", resp.StatusCode)]++
	return resp.StatusCode, string(b), nil
}

// answer is what a client got.
type answer struct {
	code int
	body []byte
	err  error
}

// slowUpload posts body but sends only its first half until finish; the
// answer arrives on answers.
type slowUpload struct {
	body    []byte
	pw      *io.PipeWriter
	answers chan answer
}

// startSlowUpload starts posting a 1024x1024 JPEG and returns once the
// server is handling it (/metrics counts it, and itself, in flight) with
// half of the body received.
func (s *served) startSlowUpload(t *testing.T) *slowUpload {
	t.Helper()
	u := &slowUpload{body: testJPEG(t), answers: make(chan answer, 1)}
	pr, pw := io.Pipe()
	u.pw = pw
	req, err := http.NewRequest("POST", s.base+"/v1/predict", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(u.body))
	req.Header.Set("Content-Type", "image/jpeg")
	go func() {
		resp, err := s.client.Do(req)
		if err != nil {
			u.answers <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		u.answers <- answer{resp.StatusCode, b, err}
	}()
	if _, err := pw.Write(u.body[:len(u.body)/2]); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		_, m, err := s.get(t, "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(m, "\nlungo_in_flight_requests 2\n") {
			return u
		}
		if time.Now().After(deadline) {
			t.Fatalf("the slow request is not in flight after 10 s:\n%s", m)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// sigtermAndWaitRefused sends SIGTERM and returns once new connections are
// refused: Shutdown closes the listener first.
func (s *served) sigtermAndWaitRefused(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		c, err := net.DialTimeout("tcp", s.addr, time.Second)
		if err == nil {
			c.Close()
			continue
		}
		if errors.Is(err, syscall.ECONNREFUSED) {
			return
		}
		// A connection that reached the backlog as the listener closed
		// is reset; the next attempt finds no listener.
		if !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("dialing after SIGTERM: %v, want connection refused", err)
		}
	}
	t.Fatalf("new connections still accepted 10 s after SIGTERM:\n%s", s.stderr)
}

// TestServeDrainsOnSIGTERM: a request in flight when SIGTERM arrives is
// answered 200; the listener closes at once (new connections are refused);
// the process exits 0 after logging one JSON line per request and
// "stopped".
func TestServeDrainsOnSIGTERM(t *testing.T) {
	s := startServe(t)
	stderr := s.stderr
	u := s.startSlowUpload(t)
	body := u.body
	s.sigtermAndWaitRefused(t)
	select {
	case a := <-u.answers:
		t.Fatalf("the slow request ended before its body was sent: %d %v %s", a.code, a.err, a.body)
	case <-s.done:
		t.Fatalf("lungo serve exited with a request in flight (%v):\n%s", s.err, stderr)
	default:
	}

	// The rest of the body: the in-flight request is answered in full.
	var a answer
	if _, err := u.pw.Write(body[len(body)/2:]); err != nil {
		a = <-u.answers // the client gave up on the body: why
		t.Fatalf("in-flight request during the drain: %v (sending the rest of the body: %v)", a.err, err)
	}
	u.pw.Close()
	select {
	case a = <-u.answers:
	case <-time.After(30 * time.Second):
		t.Fatalf("no answer to the in-flight request 30 s after its body:\n%s", stderr)
	}
	if a.err != nil || a.code != 200 {
		t.Fatalf("in-flight request during the drain: %d %v %s", a.code, a.err, a.body)
	}
	s.answered["/v1/predict 200"]++
	var res struct {
		Width, Height int
		Format        string
		Thresholds    struct{ Size int }
	}
	if err := json.Unmarshal(a.body, &res); err != nil || res.Width != 1024 || res.Height != 1024 || res.Format != "jpeg" || res.Thresholds.Size != 64 {
		t.Errorf("in-flight answer %s (%v)", a.body, err)
	}

	select {
	case <-s.done:
		if s.err != nil {
			t.Fatalf("lungo serve after SIGTERM: %v, want exit status 0:\n%s", s.err, stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("lungo serve still running 30 s after SIGTERM:\n%s", stderr)
	}

	// stderr: one JSON line per request answered; the drain, the
	// in-flight request and "stopped" last.
	logged := map[string]int{}
	var msgs []string
	sc := bufio.NewScanner(strings.NewReader(stderr.String()))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "{") {
			continue // the model's description from -weights
		}
		var l struct {
			Msg     string `json:"msg"`
			Path    string `json:"path"`
			Status  int    `json:"status"`
			BytesIn int64  `json:"bytes_in"`
		}
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Errorf("log line is not JSON: %q: %v", line, err)
			continue
		}
		msgs = append(msgs, l.Msg+" "+l.Path)
		if l.Msg == "request" {
			logged[fmt.Sprint(l.Path, " ", l.Status)]++
			if l.Path == "/v1/predict" && l.BytesIn != int64(len(body)) {
				t.Errorf("predict logged with bytes_in %d, sent %d", l.BytesIn, len(body))
			}
		}
	}
	if fmt.Sprint(logged) != fmt.Sprint(s.answered) {
		t.Errorf("request log lines %v, requests answered %v", logged, s.answered)
	}
	// The drain begins, the in-flight request is answered, the process stops.
	if i := slices.Index(msgs, "stopping: draining in-flight requests "); i < 0 ||
		!slices.Equal(msgs[i:], []string{msgs[i], "request /v1/predict", "stopped "}) {
		t.Errorf("log messages %q, want the drain, the predict request and \"stopped\" last", msgs)
	}
	if t.Failed() {
		t.Logf("stderr:\n%s", stderr)
	}
}

// TestServeSecondSignalStops: a second SIGINT during the drain ends the
// process at once (an operator's second Ctrl-C), without waiting for the
// in-flight request or the drain's limit.
func TestServeSecondSignalStops(t *testing.T) {
	s := startServe(t)
	s.startSlowUpload(t)
	s.sigtermAndWaitRefused(t)
	if err := s.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("lungo serve still draining 10 s after a second signal:\n%s", s.stderr)
	}
	var ee *exec.ExitError
	if !errors.As(s.err, &ee) || ee.ExitCode() != -1 || !strings.Contains(ee.Error(), "interrupt") {
		t.Errorf("after a second signal: %v, want killed by SIGINT:\n%s", s.err, s.stderr)
	}
}

// TestServeUsage: a mistake in the command line exits 2, an address in use
// 1, each with a message that says what is wrong.
func TestServeUsage(t *testing.T) {
	weights := writeServeModel(t, t.TempDir())
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"serve", "-weights", weights, "-bogus"}, 2, "flag provided but not defined: -bogus"},
		{[]string{"serve", "-weights", weights, "-workers", "two"}, 2, `invalid value "two" for flag -workers`},
		{[]string{"serve", "-addr", freeAddr(t)}, 2, "-weights is required"},
		{[]string{"serve", "-weights", weights, "extra"}, 2, `unexpected arguments ["extra"]`},
		{[]string{"serve", "-weights", weights, "-size", "64", "-addr", busy.Addr().String()}, 1, "address already in use"},
		{[]string{"serve", "-h"}, 0, "usage: lungo serve -weights FILE"},
	} {
		stderr, code := runLungo(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("lungo %s: exit status %d, want %d, and a message saying %q; stderr:\n%s",
				strings.Join(c.args, " "), code, c.code, c.want, stderr)
		}
	}
}
