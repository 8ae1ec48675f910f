package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

func init() {
	register("version", "print lungo's version, commit and Go version (from the build information)", runVersion)
}

func runVersion(args []string) error {
	fs := newFlags("version", "")
	if err := noArgs(fs, args); err != nil {
		return err
	}
	fmt.Println("lungo", readVersion())
	return nil
}

// buildVersion is what the Go toolchain stamped into the binary: the
// module's version, and the commit when it was built from a checkout.
type buildVersion struct {
	// Version is the module version: a tag (v1.2.0) when installed with
	// go install ...@version, a pseudo-version (with "+dirty" for
	// uncommitted changes) when built in a checkout, "(devel)" or "" when
	// the toolchain could not tell.
	Version  string
	Revision string // VCS commit; "" without VCS information (go install, -buildvcs=false)
	Time     string // commit time, RFC 3339
	Modified bool   // the checkout had uncommitted changes
	Go       string // toolchain that built the binary
}

// readVersion reads the binary's build information (debug.ReadBuildInfo).
func readVersion() buildVersion {
	v := buildVersion{Go: runtime.Version()}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	v.Version, v.Go = bi.Main.Version, bi.GoVersion
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.time":
			v.Time = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

// String formats v on one line, as "go version" does:
// "v0.0.0-20261127101500-0123456789ab+dirty (commit 0123456789ab..., 2026-11-27T10:15:00Z, modified) go1.26.8 linux/amd64".
func (v buildVersion) String() string {
	var b strings.Builder
	b.WriteString(v.versionOrUnknown())
	if v.Revision != "" {
		fmt.Fprintf(&b, " (commit %s", v.Revision)
		if v.Time != "" {
			b.WriteString(", " + v.Time)
		}
		if v.Modified {
			b.WriteString(", modified")
		}
		b.WriteString(")")
	}
	fmt.Fprintf(&b, " %s %s/%s", v.Go, runtime.GOOS, runtime.GOARCH)
	return b.String()
}

func (v buildVersion) versionOrUnknown() string {
	if v.Version == "" {
		return "(unknown)"
	}
	return v.Version
}
