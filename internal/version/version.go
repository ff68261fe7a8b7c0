// Package version says which build of isms-operator is running: stamped at build time by
// the Makefile and the Dockerfile (-ldflags -X), else read from the Go module's build
// information (`go install ...@v0.2.0` records the version, a build from a checkout the
// commit).
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Version and Revision are set at build time with
// -ldflags "-X github.com/isms-operator/isms-operator/internal/version.Version=v0.2.0 -X ...Revision=<commit>".
var (
	Version  = ""
	Revision = ""
)

// Info is the running build.
type Info struct {
	// Version is the release (v0.2.0), or "devel" for a build of no release.
	Version string
	// Revision is the commit built, when known.
	Revision string
	// GoVersion is the Go toolchain that built it.
	GoVersion string
}

// Get returns the running build's version.
func Get() Info {
	info := Info{Version: Version, Revision: Revision, GoVersion: runtime.Version()}
	if build, ok := debug.ReadBuildInfo(); ok {
		if info.Version == "" && build.Main.Version != "" && build.Main.Version != "(devel)" {
			info.Version = build.Main.Version
		}
		for _, s := range build.Settings {
			if s.Key == "vcs.revision" && info.Revision == "" {
				info.Revision = s.Value
			}
		}
	}
	if info.Version == "" {
		info.Version = "devel"
	}
	return info
}

// String is the build as `isms-operator --version` prints it.
func (i Info) String() string {
	revision := i.Revision
	if revision == "" {
		revision = "unknown"
	}
	return fmt.Sprintf("isms-operator %s (revision %s, %s)", i.Version, revision, i.GoVersion)
}
