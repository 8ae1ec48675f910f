package pacs

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// These tests use httptest fakes for what a real Orthanc will not do on
// demand: fail a given number of times, send too much, send garbage.

var fastRetry = RetryPolicy{MaxAttempts: 4, BaseDelay: 5 * time.Millisecond, MaxDelay: 20 * time.Millisecond, MaxElapsed: 5 * time.Second}

// flaky answers status to the first n requests, then 200 with body.
func flaky(t *testing.T, n int, status int, body string) (*httptest.Server, *atomic.Int32) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "u" || p != "secret-pw" {
			t.Errorf("request without the credentials")
		}
		if int(calls.Add(1)) <= n {
			http.Error(w, `{"Message": "temporarily broken"}`, status)
			return
		}
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

const changesBody = `{"Changes": [{"Seq": 7, "ChangeType": "NewInstance", "ResourceType": "Instance", "ID": "ab-cd", "Path": "/instances/ab-cd", "Date": "20261207T175607"}], "Done": true, "Last": 7}`

func TestRetryThenSucceed(t *testing.T) {
	for _, status := range []int{500, 503, 429} {
		srv, calls := flaky(t, 2, status, changesBody)
		c := &Client{BaseURL: srv.URL, Username: "u", Password: "secret-pw", Retry: fastRetry}
		ch, last, done, err := c.Changes(context.Background(), 0, 10)
		if err != nil {
			t.Fatalf("%d twice then 200: %v", status, err)
		}
		if calls.Load() != 3 {
			t.Errorf("%d: %d requests, want 3", status, calls.Load())
		}
		want := Change{Seq: 7, ChangeType: "NewInstance", ResourceType: "Instance", ID: "ab-cd", Path: "/instances/ab-cd", Date: "20261207T175607"}
		if len(ch) != 1 || ch[0] != want || last != 7 || !done {
			t.Errorf("decoded %+v, %d, %v", ch, last, done)
		}
	}
}

func TestRetryGivesUp(t *testing.T) {
	srv, calls := flaky(t, 1000, 502, "")
	c := &Client{BaseURL: srv.URL, Username: "u", Password: "secret-pw", Retry: fastRetry}
	_, err := c.Instance(context.Background(), "ab-cd")
	var pe *Error
	if !errors.As(err, &pe) || pe.StatusCode != 502 || pe.Attempts != 4 || calls.Load() != 4 {
		t.Fatalf("always 502: %v (%d requests)", err, calls.Load())
	}
	for _, want := range []string{"GET " + srv.URL + "/instances/ab-cd/file", "502 Bad Gateway", "temporarily broken", "4 attempts"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestNoRetryOn4xx(t *testing.T) {
	for _, status := range []int{400, 401, 403, 404, 409} {
		srv, calls := flaky(t, 1000, status, "")
		c := &Client{BaseURL: srv.URL, Username: "u", Password: "secret-pw", Retry: fastRetry}
		_, err := c.Instance(context.Background(), "ab-cd")
		if err == nil || calls.Load() != 1 {
			t.Errorf("%d: %v after %d requests, want an error after 1", status, err, calls.Load())
		}
		if got := errors.Is(err, ErrNotFound); got != (status == 404) {
			t.Errorf("%d: errors.Is(err, ErrNotFound) = %v", status, got)
		}
	}
}

// TestRetryBounds: MaxElapsed stops retries before MaxAttempts, and a
// cancelled context stops them at once.
func TestRetryBounds(t *testing.T) {
	srv, calls := flaky(t, 1000, 500, "")
	c := &Client{BaseURL: srv.URL, Username: "u", Password: "secret-pw",
		Retry: RetryPolicy{MaxAttempts: 100, BaseDelay: 40 * time.Millisecond, MaxDelay: 40 * time.Millisecond, MaxElapsed: 150 * time.Millisecond}}
	t0 := time.Now()
	_, err := c.Instance(context.Background(), "ab-cd")
	if err == nil || calls.Load() >= 100 || time.Since(t0) > 2*time.Second {
		t.Errorf("MaxElapsed 150ms: %v after %d requests in %v", err, calls.Load(), time.Since(t0))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	c.Retry = RetryPolicy{MaxAttempts: 100, BaseDelay: time.Second, MaxElapsed: time.Minute}
	t0 = time.Now()
	_, err = c.Instance(ctx, "ab-cd")
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(t0) > 900*time.Millisecond {
		t.Errorf("cancelled during a backoff: %v after %v", err, time.Since(t0))
	}
}

func TestBackoff(t *testing.T) {
	p := RetryPolicy{BaseDelay: 100 * time.Millisecond, MaxDelay: time.Second}.withDefaults()
	for attempt, d := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
		d *= time.Millisecond
		for range 50 {
			got := p.backoff(attempt+1, 0)
			if got < d/2 || got > d {
				t.Fatalf("attempt %d: wait %v outside [%v, %v]", attempt+1, got, d/2, d)
			}
		}
	}
	if got := p.backoff(1, 700*time.Millisecond); got != 700*time.Millisecond {
		t.Errorf("Retry-After 0.7s: wait %v", got)
	}
	if got := p.backoff(1, time.Hour); got != time.Second {
		t.Errorf("Retry-After 1h: wait %v, want MaxDelay", got)
	}
	if retryAfter("3") != 3*time.Second || retryAfter("soon") != 0 {
		t.Error("retryAfter")
	}
}

// TestSizeLimit: a streamed answer (no Content-Length) larger than the
// limit is cut off and reported.
func TestSizeLimit(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"Changes": [], "Done": true, "Last": 1, "pad": "`))
		w.(http.Flusher).Flush() // chunked: the client cannot see the size up front
		w.Write([]byte(strings.Repeat("x", 5000) + `"}`))
	}))
	defer srv.Close()
	c := &Client{BaseURL: srv.URL, MaxResponseBytes: 1000, Retry: fastRetry}
	_, _, _, err := c.Changes(context.Background(), 0, 1)
	var pe *Error
	if !errors.As(err, &pe) || pe.Attempts != 1 || !strings.Contains(err.Error(), "more than the 1000 bytes") {
		t.Fatalf("oversized answer: %v", err)
	}
	c.MaxResponseBytes = 0 // default
	if _, last, _, err := c.Changes(context.Background(), 0, 1); err != nil || last != 1 {
		t.Errorf("within the default limit: %d, %v", last, err)
	}
}

func TestBadJSON(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<html><body>Welcome to nginx</body></html>")
	}))
	defer srv.Close()
	c := &Client{BaseURL: srv.URL}
	_, _, _, err := c.Changes(context.Background(), 0, 1)
	if err == nil || !strings.Contains(err.Error(), "not the JSON expected") || !strings.Contains(err.Error(), "Welcome to nginx") ||
		!strings.Contains(err.Error(), srv.URL+"/changes") {
		t.Errorf("HTML instead of JSON: %v", err)
	}
}

func TestBadArguments(t *testing.T) {
	c := &Client{BaseURL: "http://127.0.0.1:1"}
	ctx := context.Background()
	for name, err := range map[string]error{
		"negative since": func() error { _, _, _, err := c.Changes(ctx, -1, 1); return err }(),
		"huge limit":     func() error { _, _, _, err := c.Changes(ctx, 0, MaxChangesLimit+1); return err }(),
		"empty upload":   func() error { _, err := c.Upload(ctx, nil); return err }(),
		"UID wildcard":   func() error { _, err := c.FindBySOP(ctx, "1.2.3*"); return err }(),
		"UID too long":   func() error { _, err := c.FindBySOP(ctx, strings.Repeat("1", 65)); return err }(),
		"ID with slash":  func() error { _, err := c.InstanceInfo(ctx, "ab/../cd"); return err }(),
		"no base URL":    func() error { _, err := (&Client{}).Instance(ctx, "ab"); return err }(),
		"ftp base URL":   func() error { _, err := (&Client{BaseURL: "ftp://u:pw@h"}).Instance(ctx, "ab"); return err }(),
	} {
		if err == nil {
			t.Errorf("%s: no error", name)
		} else if strings.Contains(err.Error(), "pw@") {
			t.Errorf("%s: %v holds the password", name, err)
		}
	}
}

// TestClientRedaction: the password is in none of the ways a client gets
// printed or serialised.
func TestClientRedaction(t *testing.T) {
	const pw = "hunter2-very-secret"
	for _, c := range []Client{
		{BaseURL: "https://pacs.example/orthanc/", Username: "lungo", Password: pw},
		{BaseURL: "https://lungo:" + pw + "@pacs.example/orthanc/"},
	} {
		j, _ := json.Marshal(c)
		type wrap struct{ C Client }
		for _, s := range []string{c.String(), fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c),
			fmt.Sprintf("%v", &c), fmt.Sprintf("%+v", wrap{c}), string(j)} {
			if strings.Contains(s, pw) {
				t.Errorf("%q holds the password", s)
			}
		}
		if s := c.String(); !strings.Contains(s, "lungo:xxxxx@pacs.example/orthanc") {
			t.Errorf("String() = %q", s)
		}
	}
}

// TestPathPrefix: a BaseURL with a path (Orthanc behind a reverse proxy)
// keeps it.
func TestPathPrefix(t *testing.T) {
	var path string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path = r.URL.Path
		fmt.Fprint(w, `{"Last": 3}`)
	}))
	defer srv.Close()
	c := &Client{BaseURL: srv.URL + "/orthanc/"}
	if last, err := c.LastChange(context.Background()); err != nil || last != 3 || path != "/orthanc/changes" {
		t.Errorf("LastChange via a prefix: %d, %v, path %q", last, err, path)
	}
}

// TestTLS: a server with its own certificate is reached with the
// certificate as CA file, refused without it (and not retried), and
// reached with verification off.
func TestTLS(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		fmt.Fprint(w, `{"Last": 5}`)
	}))
	defer srv.Close()
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is expected
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	hc, err := NewHTTPClient(TLSOptions{CAFile: ca})
	if err != nil {
		t.Fatal(err)
	}
	c := &Client{BaseURL: srv.URL, HTTPClient: hc, Retry: fastRetry}
	if last, err := c.LastChange(ctx); err != nil || last != 5 {
		t.Fatalf("with the CA file: %d, %v", last, err)
	}

	plain, _ := NewHTTPClient(TLSOptions{})
	c.HTTPClient = plain
	_, err = c.LastChange(ctx)
	var pe *Error
	if !errors.As(err, &pe) || pe.Attempts != 1 || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("without the CA file: %v", err)
	}

	insecure, _ := NewHTTPClient(TLSOptions{InsecureSkipVerify: true})
	c.HTTPClient = insecure
	if _, err := c.LastChange(ctx); err != nil {
		t.Errorf("InsecureSkipVerify: %v", err)
	}

	bad := filepath.Join(t.TempDir(), "bad.pem")
	os.WriteFile(bad, []byte("not a certificate"), 0o600)
	if _, err := NewHTTPClient(TLSOptions{CAFile: bad}); err == nil {
		t.Error("a CA file without certificates was accepted")
	}
	if _, err := NewHTTPClient(TLSOptions{CAFile: filepath.Join(t.TempDir(), "missing.pem")}); err == nil {
		t.Error("a missing CA file was accepted")
	}
}

func TestState(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "state.json")
	if s, err := LoadState(p); err != nil || s.Last != 0 {
		t.Fatalf("missing file: %+v, %v", s, err)
	}
	for _, last := range []int64{42, 1 << 40} {
		if err := (State{Last: last}).Save(p); err != nil {
			t.Fatal(err)
		}
		if s, err := LoadState(p); err != nil || s.Last != last {
			t.Fatalf("round trip %d: %+v, %v", last, s, err)
		}
	}
	b, _ := os.ReadFile(p)
	if string(b) != `{"last":1099511627776}`+"\n" {
		t.Errorf("state file %q", b)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("temporary files left: %v", ents)
	}
	for _, bad := range []string{"{", `{"last": -3}`, `{"last": "x"}`} {
		os.WriteFile(p, []byte(bad), 0o600)
		if _, err := LoadState(p); err == nil {
			t.Errorf("state %q accepted", bad)
		}
	}
	if err := (State{Last: 1}).Save(filepath.Join(dir, "no", "such", "dir", "s.json")); err == nil {
		t.Error("Save into a missing folder succeeded")
	}
}
