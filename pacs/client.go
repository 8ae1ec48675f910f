package pacs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Environment variables the command line reads the PACS credentials from
// when no flag gives them (never logged).
const (
	EnvUsername = "LUNGO_PACS_USERNAME"
	EnvPassword = "LUNGO_PACS_PASSWORD"
)

// Default limits on what the client reads from one answer.
const (
	DefaultMaxResponseBytes = 16 << 20  // JSON answers
	DefaultMaxInstanceBytes = 512 << 20 // DICOM files (Instance)
)

// defaultTimeout bounds one HTTP exchange of the default HTTP client.
const defaultTimeout = 2 * time.Minute

// A Client talks to one Orthanc server over its REST API. The zero value
// of each field but BaseURL is a usable default; a Client is not modified
// by its methods and may be used by several goroutines at once.
//
// The password never appears in errors, String, GoString or JSON.
type Client struct {
	// BaseURL is the server's address, "http://127.0.0.1:8042", possibly
	// with a path prefix ("https://pacs.example/orthanc"). Credentials in it
	// ("http://user:pw@host") are used when Username and Password are both
	// empty, and are never repeated in errors.
	BaseURL string
	// Username and Password, when either is set, are sent with HTTP basic
	// authentication on every request (use HTTPS beyond loopback).
	Username string
	Password string `json:"-"`
	// HTTPClient makes the requests; nil means a client with a 2-minute
	// timeout and the system's TLS roots. NewHTTPClient builds one with a
	// custom CA file or without certificate verification.
	HTTPClient *http.Client `json:"-"`
	// Retry bounds the attempts on connection errors, 5xx and 429.
	Retry RetryPolicy
	// MaxResponseBytes caps a JSON answer (0: DefaultMaxResponseBytes) and
	// MaxInstanceBytes a downloaded DICOM file (0: DefaultMaxInstanceBytes).
	MaxResponseBytes int64
	MaxInstanceBytes int64
}

// ErrNotFound matches (errors.Is) a 404 answer and a lookup that found
// nothing.
var ErrNotFound = errors.New("pacs: not found")

// An Error is a request that failed: an HTTP status that is not 2xx, a
// transport error after the retries, an answer too large or not JSON.
type Error struct {
	Method     string
	URL        string        // without credentials
	StatusCode int           // 0 when no HTTP answer came back
	Status     string        // "401 Unauthorized"
	Body       string        // an excerpt of the answer (Orthanc's message where it gave one)
	Attempts   int           // requests sent
	Elapsed    time.Duration // from the first attempt to the error
	Err        error         // the transport or decoding error, if any
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "pacs: %s %s: ", e.Method, e.URL)
	switch {
	case e.StatusCode != 0 && e.Err != nil:
		fmt.Fprintf(&b, "%s: %v", e.Status, e.Err)
	case e.StatusCode != 0:
		b.WriteString(e.Status)
		if e.Body != "" {
			b.WriteString(": " + e.Body)
		}
		switch e.StatusCode {
		case http.StatusUnauthorized:
			b.WriteString(" (check the PACS username and password)")
		case http.StatusForbidden:
			b.WriteString(" (the PACS user lacks the right for this request)")
		}
	default:
		fmt.Fprintf(&b, "%v", e.Err)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (gave up after %d attempts in %v)", e.Attempts, e.Elapsed.Round(time.Millisecond))
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Is reports a 404 as ErrNotFound.
func (e *Error) Is(target error) bool {
	return target == ErrNotFound && e.StatusCode == http.StatusNotFound
}

// String describes the client with its password redacted.
func (c Client) String() string {
	u, err := url.Parse(c.BaseURL)
	if err != nil || u.Host == "" {
		return "pacs.Client(invalid BaseURL)"
	}
	user := c.Username
	if user == "" && u.User != nil {
		user = u.User.Username()
	}
	u.User = nil
	if user != "" {
		u.User = url.User(user)
		if c.Password != "" || hasURLPassword(c.BaseURL) {
			u.User = url.UserPassword(user, "xxxxx")
		}
	}
	return "pacs.Client(" + u.String() + ")"
}

// GoString is String, so %#v does not print the password either.
func (c Client) GoString() string { return c.String() }

// MarshalJSON encodes the client without its password (nor the one a
// BaseURL may hold) and without HTTPClient.
func (c Client) MarshalJSON() ([]byte, error) {
	type fields Client // without the methods
	f := fields(c)
	if u, err := url.Parse(c.BaseURL); err != nil {
		f.BaseURL = "(invalid URL)"
	} else {
		f.BaseURL = u.Redacted()
	}
	return json.Marshal(f)
}

func hasURLPassword(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return false
	}
	_, ok := u.User.Password()
	return ok
}

// endpoint is the parsed base URL without credentials, and the credentials.
type endpoint struct {
	base       *url.URL
	user, pass string
	auth       bool
}

func (c *Client) endpoint() (endpoint, error) {
	if c.BaseURL == "" {
		return endpoint{}, errors.New("pacs: Client.BaseURL is empty")
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil {
		// url's error repeats the input, credentials included.
		return endpoint{}, errors.New("pacs: Client.BaseURL is not a valid URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		u.User = nil
		return endpoint{}, fmt.Errorf("pacs: Client.BaseURL %q: want http://host[:port] or https://host[:port]", u.Redacted())
	}
	ep := endpoint{user: c.Username, pass: c.Password}
	if ep.user == "" && ep.pass == "" && u.User != nil {
		ep.user = u.User.Username()
		ep.pass, _ = u.User.Password()
	}
	ep.auth = ep.user != "" || ep.pass != ""
	u.User = nil
	u.RawQuery, u.Fragment = "", ""
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	ep.base = u
	return ep, nil
}

// url joins the base URL and an API path ("/instances/ID/file").
func (ep endpoint) url(path string, query url.Values) string {
	u := *ep.base
	u.Path += path
	u.RawQuery = query.Encode()
	return u.String()
}

// request is one REST call.
type request struct {
	method      string
	path        string
	query       url.Values
	body        []byte
	contentType string
	accept      string
	limit       int64 // bytes of answer accepted
}

// do sends req with retries and returns the body of a 2xx answer.
func (c *Client) do(ctx context.Context, req request) ([]byte, error) {
	ep, err := c.endpoint()
	if err != nil {
		return nil, err
	}
	hc := c.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: defaultTimeout}
	}
	if req.limit <= 0 {
		req.limit = c.maxResponse()
	}
	target := ep.url(req.path, req.query)
	pol := c.Retry.withDefaults()
	start := time.Now()
	fail := func(e *Error, attempts int) *Error {
		e.Method, e.URL, e.Attempts, e.Elapsed = req.method, target, attempts, time.Since(start)
		e.Body = redact(e.Body, ep.pass)
		return e
	}
	for attempt := 1; ; attempt++ {
		body, retryAfter, e := c.once(ctx, hc, ep, target, req)
		if e == nil {
			return body, nil
		}
		if ctx.Err() != nil {
			return nil, fail(&Error{Err: ctx.Err()}, attempt)
		}
		if !retryable(e) || attempt >= pol.MaxAttempts {
			return nil, fail(e, attempt)
		}
		wait := pol.backoff(attempt, retryAfter)
		if time.Since(start)+wait > pol.MaxElapsed {
			return nil, fail(e, attempt)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fail(&Error{Err: ctx.Err()}, attempt)
		case <-t.C:
		}
	}
}

// once sends one attempt; the error, if any, is an *Error without the
// request fields, and retryAfter is the server's Retry-After, if any.
func (c *Client) once(ctx context.Context, hc *http.Client, ep endpoint, target string, req request) ([]byte, time.Duration, *Error) {
	var body io.Reader
	if req.body != nil {
		body = bytes.NewReader(req.body)
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, target, body)
	if err != nil {
		return nil, 0, &Error{Err: err}
	}
	if ep.auth {
		hr.SetBasicAuth(ep.user, ep.pass)
	}
	if req.contentType != "" {
		hr.Header.Set("Content-Type", req.contentType)
	}
	if req.accept != "" {
		hr.Header.Set("Accept", req.accept)
	}
	resp, err := hc.Do(hr)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its message repeats the URL
		}
		return nil, 0, &Error{Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return nil, retryAfter(resp.Header.Get("Retry-After")), &Error{
			StatusCode: resp.StatusCode, Status: resp.Status, Body: errorMessage(excerpt),
		}
	}
	if resp.ContentLength > req.limit {
		return nil, 0, &Error{StatusCode: resp.StatusCode, Status: resp.Status,
			Err: tooLarge{fmt.Sprintf("the answer is %d bytes, more than the %d accepted", resp.ContentLength, req.limit)}}
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, req.limit+1))
	if err != nil {
		return nil, 0, &Error{StatusCode: resp.StatusCode, Status: resp.Status, Err: fmt.Errorf("reading the answer: %w", err)}
	}
	if int64(len(b)) > req.limit {
		return nil, 0, &Error{StatusCode: resp.StatusCode, Status: resp.Status,
			Err: tooLarge{fmt.Sprintf("the answer is more than the %d bytes accepted", req.limit)}}
	}
	return b, 0, nil
}

// tooLarge is an answer over the size limit: not retried.
type tooLarge struct{ msg string }

func (e tooLarge) Error() string { return e.msg }

func (c *Client) maxResponse() int64 {
	if c.MaxResponseBytes > 0 {
		return c.MaxResponseBytes
	}
	return DefaultMaxResponseBytes
}

func (c *Client) maxInstance() int64 {
	if c.MaxInstanceBytes > 0 {
		return c.MaxInstanceBytes
	}
	return DefaultMaxInstanceBytes
}

// getJSON decodes the JSON answer of GET path into v.
func (c *Client) getJSON(ctx context.Context, path string, query url.Values, v any) error {
	return c.callJSON(ctx, request{method: http.MethodGet, path: path, query: query, accept: "application/json"}, v)
}

// postJSON sends in as JSON to path and decodes the JSON answer into out.
func (c *Client) postJSON(ctx context.Context, path string, in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("pacs: encoding the request to %s: %w", path, err)
	}
	return c.callJSON(ctx, request{method: http.MethodPost, path: path, body: b, contentType: "application/json", accept: "application/json"}, out)
}

func (c *Client) callJSON(ctx context.Context, req request, v any) error {
	b, err := c.do(ctx, req)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		ep, _ := c.endpoint()
		return &Error{Method: req.method, URL: ep.url(req.path, req.query), StatusCode: http.StatusOK, Status: "200 OK",
			Err: fmt.Errorf("the answer is not the JSON expected (%v); it begins %q", err, excerpt(b, 120))}
	}
	return nil
}

// errorMessage turns an error answer into one line: Orthanc's "Message"
// and "Details" when the body is Orthanc's JSON error, else an excerpt.
func errorMessage(body []byte) string {
	var oe struct{ Message, Details string }
	if json.Unmarshal(body, &oe) == nil && oe.Message != "" {
		if oe.Details != "" {
			return oe.Message + ": " + oe.Details
		}
		return oe.Message
	}
	return excerpt(body, 200)
}

// excerpt returns the first n bytes of b as one printable line.
func excerpt(b []byte, n int) string {
	cut := len(b) > n
	if cut {
		b = b[:n]
	}
	s := strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '\uFFFD' {
			return ' '
		}
		return r
	}, string(b))
	s = strings.Join(strings.Fields(s), " ")
	if cut {
		s += "..."
	}
	return s
}

// redact removes the password from s, should a server echo it.
func redact(s, password string) string {
	if password == "" {
		return s
	}
	return strings.ReplaceAll(s, password, "xxxxx")
}
