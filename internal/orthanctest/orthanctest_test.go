package orthanctest

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func get(t *testing.T, hc *http.Client, url, user, pw string) (int, error) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, pw)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// TestStart checks what the helper promises: a server on loopback that
// demands the test user's password, and that is gone after Stop.
func TestStart(t *testing.T) {
	t0 := time.Now()
	s := Start(t)
	t.Logf("Orthanc up in %v at %s", time.Since(t0), s.URL)
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") {
		t.Fatalf("URL %q is not on loopback", s.URL)
	}
	hc := &http.Client{Timeout: 5 * time.Second}
	if code, err := get(t, hc, s.URL+"/system", s.Username, s.Password); err != nil || code != 200 {
		t.Fatalf("GET /system with the test user: %d, %v", code, err)
	}
	if code, err := get(t, hc, s.URL+"/system", "", ""); err != nil || code != 401 {
		t.Fatalf("GET /system without credentials: %d, %v; want 401", code, err)
	}
	if code, err := get(t, hc, s.URL+"/system", s.Username, s.Password+"x"); err != nil || code != 401 {
		t.Fatalf("GET /system with a wrong password: %d, %v; want 401", code, err)
	}
	hc.CloseIdleConnections()
	s.Stop()
	s.Stop() // idempotent
	if _, err := get(t, hc, s.URL+"/system", s.Username, s.Password); err == nil {
		t.Fatal("Orthanc still answers after Stop")
	}
}
