// Package shareddata finds the project's shared test data for tests: the
// real DICOM files, SIIM radiographs and labels in ../shared/data beside the
// repository, which are never copied into it.
package shareddata

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns ../shared/data beside the module root (the nearest folder at
// or above the working directory that holds go.mod), or "" when there is
// no module root above it.
func Dir() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "..", "shared", "data")
		}
		up := filepath.Dir(dir)
		if up == dir {
			return ""
		}
		dir = up
	}
}

// Path returns the shared file or folder rel (slash-separated, relative to
// ../shared/data). When it is missing the test is skipped, or fails with a
// clear message under CI=true, where the data must be there.
func Path(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(Dir(), filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing: CI needs ../shared/data beside the repository (%v)", p, err)
		}
		t.Skipf("shared test data missing: %v", err)
	}
	return p
}
