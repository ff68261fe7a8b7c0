package version

import (
	"strings"
	"testing"
)

func TestStampedVersionWins(t *testing.T) {
	Version, Revision = "v0.2.0", "0123abc"
	defer func() { Version, Revision = "", "" }()
	got := Get()
	if got.Version != "v0.2.0" || got.Revision != "0123abc" || !strings.HasPrefix(got.GoVersion, "go") {
		t.Errorf("Get() = %+v, want the stamped version and revision and the Go version", got)
	}
	if s := got.String(); s != "isms-operator v0.2.0 (revision 0123abc, "+got.GoVersion+")" {
		t.Errorf("String() = %q", s)
	}
}

func TestUnstampedBuildIsDevel(t *testing.T) {
	if got := Get(); got.Version == "" {
		t.Errorf("Get() = %+v, want a version (devel for a test binary)", got)
	}
}
