// Package orthanctest starts a real, throw-away Orthanc PACS for tests.
//
// Start runs Debian's Orthanc (`apt-get install -y orthanc`; the binary is
// /usr/sbin/Orthanc) on loopback with a configuration file of its own: a free
// HTTP port on 127.0.0.1, the DICOM server off, storage and index in
// t.TempDir(), remote access refused, HTTP basic authentication on with a
// test user whose password is random per server, and no plugins. It waits
// until GET /system answers and stops the server (kill, then wait) when the
// test ends. Starting takes about 0.15 s.
//
// Where Orthanc is not installed, Start skips the test, or fails it when the
// environment variable CI is "true" so that CI cannot pass without running
// the round trip. LUNGO_ORTHANC names another binary.
package orthanctest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// EnvBinary names an environment variable that, when set, is the path of
// the Orthanc binary to run.
const EnvBinary = "LUNGO_ORTHANC"

// Username is the user Start registers; each server draws its own password.
const Username = "lungo-test"

// HTTPS is left to the client tests (httptest's TLS server): Debian 12's
// Orthanc 1.10.1 (civetweb 1.15, OpenSSL 3.0) dies with SIGSEGV on the first
// HTTPS connection, whatever the certificate.

// startTimeout bounds the wait for GET /system to answer.
const startTimeout = 20 * time.Second

// Options change the server Start runs.
type Options struct {
	// Config entries are merged into the generated configuration last, so
	// they override it ("OverwriteInstances": true, ...).
	Config map[string]any
}

// A Server is a running Orthanc.
type Server struct {
	URL      string // "http://127.0.0.1:PORT", no trailing slash
	Username string
	Password string
	Dir      string // the storage and index folder
	LogFile  string // Orthanc's stdout and stderr

	cmd    *exec.Cmd
	exited chan struct{} // closed when the process has been reaped
	stop   sync.Once
}

// Binary returns the path of the Orthanc binary: $LUNGO_ORTHANC, then
// "Orthanc" on PATH, then /usr/sbin/Orthanc (Debian's place, not on every
// user's PATH).
func Binary() (string, error) {
	if p := os.Getenv(EnvBinary); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("orthanctest: $%s: %w", EnvBinary, err)
		}
		return p, nil
	}
	if p, err := exec.LookPath("Orthanc"); err == nil {
		return p, nil
	}
	const debian = "/usr/sbin/Orthanc"
	if _, err := os.Stat(debian); err == nil {
		return debian, nil
	}
	return "", errors.New("orthanctest: Orthanc is not installed (Debian: apt-get install -y orthanc; or set $" + EnvBinary + ")")
}

// Start runs a fresh Orthanc for the test and returns it once it answers.
// The server is stopped and its folder removed when the test ends.
func Start(t testing.TB) *Server { return StartWith(t, Options{}) }

// StartWith is Start with options.
func StartWith(t testing.TB, opt Options) *Server {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%v: CI must run the PACS round trip", err)
		}
		t.Skip(err)
	}
	dir := t.TempDir() // registered before Stop's cleanup, so removed after it
	pw, err := randomHex(12)
	if err != nil {
		t.Fatal(err)
	}
	// A free port can be taken by someone else between our probe and
	// Orthanc's bind: try again with another one.
	var s *Server
	for try := 0; ; try++ {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		s = &Server{
			Username: Username, Password: pw,
			Dir:     filepath.Join(dir, fmt.Sprintf("db%d", try)),
			LogFile: filepath.Join(dir, fmt.Sprintf("orthanc%d.log", try)),
		}
		if err := os.Mkdir(s.Dir, 0o755); err != nil {
			t.Fatal(err)
		}
		s.URL = fmt.Sprintf("http://127.0.0.1:%d", port)
		err = s.start(bin, filepath.Join(dir, "orthanc.json"), config(s, port, opt.Config))
		if err == nil {
			t.Cleanup(s.Stop)
			return s
		}
		s.Stop()
		if try == 2 || !strings.Contains(s.Log(), "already in use") {
			t.Fatalf("orthanctest: %v\n--- Orthanc log (%s) ---\n%s", err, s.LogFile, tail(s.Log(), 4000))
		}
	}
}

// config returns the Orthanc configuration for s.
func config(s *Server, port int, extra map[string]any) map[string]any {
	cfg := map[string]any{
		"Name":                   "lungo-test",
		"StorageDirectory":       s.Dir,
		"IndexDirectory":         s.Dir,
		"Plugins":                []string{},
		"LuaScripts":             []string{},
		"HttpPort":               port,
		"DicomServerEnabled":     false,
		"RemoteAccessAllowed":    false,
		"AuthenticationEnabled":  true,
		"RegisteredUsers":        map[string]string{s.Username: s.Password},
		"OrthancExplorerEnabled": false,
		"WebDavEnabled":          false,
		"SaveJobs":               false,
		"ConcurrentJobs":         1,
		"HttpThreadsCount":       8,
	}
	for k, v := range extra {
		cfg[k] = v
	}
	return cfg
}

// start writes the configuration, runs Orthanc and waits for /system.
func (s *Server) start(bin, cfgPath string, cfg map[string]any) error {
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(cfgPath, b, 0o600); err != nil {
		return err
	}
	logf, err := os.Create(s.LogFile)
	if err != nil {
		return err
	}
	defer logf.Close() // the child holds its own descriptor
	s.cmd = exec.Command(bin, cfgPath)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	s.cmd.Dir = filepath.Dir(cfgPath)
	orphanProof(s.cmd)
	s.exited = make(chan struct{})
	if err := s.cmd.Start(); err != nil {
		close(s.exited)
		return fmt.Errorf("start %s: %w", bin, err)
	}
	go func() { s.cmd.Wait(); close(s.exited) }()
	return s.waitReady()
}

// waitReady polls GET /system until it answers 200, the process exits or
// startTimeout passes.
func (s *Server) waitReady() error {
	hc := &http.Client{Timeout: 2 * time.Second}
	defer hc.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	var last error
	for {
		req, err := http.NewRequestWithContext(ctx, "GET", s.URL+"/system", nil)
		if err != nil {
			return err
		}
		req.SetBasicAuth(s.Username, s.Password)
		resp, err := hc.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Errorf("GET /system: %s", resp.Status)
		} else {
			last = err
		}
		select {
		case <-s.exited:
			return fmt.Errorf("Orthanc exited before answering (%v)", s.cmd.ProcessState)
		case <-ctx.Done():
			return fmt.Errorf("Orthanc did not answer %s/system within %v: %v", s.URL, startTimeout, last)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Stop kills the server and waits for it to exit; it is safe to call more
// than once (tests call it to take the PACS down mid-test).
func (s *Server) Stop() {
	s.stop.Do(func() {
		if s.cmd == nil || s.cmd.Process == nil {
			return
		}
		select {
		case <-s.exited:
			return
		default:
		}
		s.cmd.Process.Kill()
		<-s.exited
	})
}

// Log returns what Orthanc has written to stdout and stderr.
func (s *Server) Log() string {
	b, _ := os.ReadFile(s.LogFile)
	return string(b)
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
