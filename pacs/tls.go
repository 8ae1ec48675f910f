package pacs

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"time"
)

// TLSOptions configure the HTTPS side of NewHTTPClient.
type TLSOptions struct {
	// CAFile is a PEM file of certificates trusted besides the system's
	// roots: a hospital's own CA, or a PACS's self-signed certificate.
	CAFile string
	// InsecureSkipVerify accepts any certificate. It is for tests and
	// first contact only: the connection is encrypted but not
	// authenticated, so the credentials may go to an impostor.
	InsecureSkipVerify bool
	// Timeout bounds one HTTP exchange, answer included (0: 2 minutes).
	Timeout time.Duration
}

// NewHTTPClient returns an HTTP client for Client.HTTPClient that trusts
// the system's roots plus opt.CAFile, with TLS 1.2 or later.
func NewHTTPClient(opt TLSOptions) (*http.Client, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: opt.InsecureSkipVerify}
	if opt.CAFile != "" {
		pem, err := os.ReadFile(opt.CAFile)
		if err != nil {
			return nil, fmt.Errorf("pacs: CA file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("pacs: CA file %s holds no PEM certificate", opt.CAFile)
		}
		tc.RootCAs = pool
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tc
	timeout := opt.Timeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	return &http.Client{Transport: tr, Timeout: timeout}, nil
}
