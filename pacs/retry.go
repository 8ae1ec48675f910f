package pacs

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// A RetryPolicy bounds the retries of one request. A request is retried
// when no answer came back (connection refused or reset, timeout) or the
// answer is 5xx or 429, waiting BaseDelay, 2*BaseDelay, 4*BaseDelay, ...
// (at most MaxDelay, or the server's Retry-After if longer, itself capped
// at MaxDelay), each wait drawn uniformly from [d/2, d) so that clients
// restarted together do not retry in step. Other 4xx answers, certificate
// errors, answers over the size limit and a cancelled context end the
// request at once.
//
// Every request is safe to repeat: uploads are deduplicated by Orthanc
// (a second POST of an instance answers AlreadyStored), the rest read.
type RetryPolicy struct {
	MaxAttempts int           // requests in all, the first included; 0: 5; 1: no retries
	BaseDelay   time.Duration // 0: 250 ms
	MaxDelay    time.Duration // 0: 5 s
	MaxElapsed  time.Duration // no retry starts after this much time; 0: 30 s
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 5
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = 250 * time.Millisecond
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 5 * time.Second
	}
	if p.MaxDelay < p.BaseDelay {
		p.MaxDelay = p.BaseDelay
	}
	if p.MaxElapsed <= 0 {
		p.MaxElapsed = 30 * time.Second
	}
	return p
}

// backoff is the wait after the given failed attempt (1-based).
func (p RetryPolicy) backoff(attempt int, retryAfter time.Duration) time.Duration {
	d := p.BaseDelay
	for i := 1; i < attempt && d < p.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, p.MaxDelay)
	d = d/2 + rand.N(d/2+1)
	if retryAfter > d {
		d = min(retryAfter, p.MaxDelay)
	}
	return d
}

// retryable reports whether an attempt that failed with e may succeed if
// sent again.
func retryable(e *Error) bool {
	if e.StatusCode != 0 {
		if e.Err != nil { // a 2xx answer we could not use
			var tl tooLarge
			return !errors.As(e.Err, &tl) // a body cut short is worth another try
		}
		return e.StatusCode >= 500 || e.StatusCode == http.StatusTooManyRequests
	}
	// No answer: a refused or reset connection, a timeout (the caller's
	// cancelled context never reaches here). Certificate and protocol mismatches do not heal by themselves.
	var (
		ua  x509.UnknownAuthorityError
		he  x509.HostnameError
		ci  x509.CertificateInvalidError
		cve *tls.CertificateVerificationError
		rhe tls.RecordHeaderError
	)
	err := e.Err
	if errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci) || errors.As(err, &cve) || errors.As(err, &rhe) {
		return false
	}
	return true
}

// retryAfter parses a Retry-After header: seconds or an HTTP date.
func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}
