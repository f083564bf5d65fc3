package cli

import (
	"bytes"
	"context"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestVersionText(t *testing.T) {
	goLine := "  go      go1.27.3 " + runtime.GOOS + "/" + runtime.GOARCH + "\n"
	tests := []struct {
		name string
		bi   *debug.BuildInfo
		want string
	}{
		{
			"go install module@version",
			&debug.BuildInfo{GoVersion: "go1.27.3", Main: debug.Module{Path: "github.com/payresult/payresult", Version: "v0.3.0"}},
			"payresult v0.3.0\n  module  github.com/payresult/payresult\n  commit  unknown (not built from a git checkout)\n" + goLine,
		},
		{
			"a build in a modified checkout",
			&debug.BuildInfo{GoVersion: "go1.27.3", Main: debug.Module{Path: "github.com/payresult/payresult", Version: "v0.0.0-20261207195151-4ee3d1372f4e+dirty"},
				Settings: []debug.BuildSetting{
					{Key: "vcs", Value: "git"},
					{Key: "vcs.revision", Value: "4ee3d1372f4ed72b2c198409ad2a1cf6b08534ef"},
					{Key: "vcs.time", Value: "2026-12-07T19:51:51Z"},
					{Key: "vcs.modified", Value: "true"},
				}},
			"payresult v0.0.0-20261207195151-4ee3d1372f4e+dirty\n  module  github.com/payresult/payresult\n" +
				"  commit  4ee3d1372f4ed72b2c198409ad2a1cf6b08534ef (2026-12-07T19:51:51Z, modified)\n" + goLine,
		},
		{
			"no build information",
			nil,
			"payresult unknown\n  commit  unknown (not built from a git checkout)\n  go      " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + "\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := versionText(tt.bi); got != tt.want {
				t.Errorf("versionText =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// TestVersionCommand checks that "version" and "--version" print the
// test binary's own build information, and that extra arguments are a
// usage error.
func TestVersionCommand(t *testing.T) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		t.Fatal("the test binary has no build information")
	}
	want := versionText(bi)
	for _, args := range [][]string{{"version"}, {"--version"}} {
		var out, errOut bytes.Buffer
		if err := Run(context.Background(), args, func(string) string { return "" }, &out, &errOut); err != nil {
			t.Errorf("Run(%q) = %v; stderr: %s", args, err, errOut.String())
		}
		if out.String() != want {
			t.Errorf("Run(%q) printed\n%s\nwant\n%s", args, out.String(), want)
		}
		if !strings.Contains(out.String(), runtime.Version()) {
			t.Errorf("Run(%q) does not name the Go release %s:\n%s", args, runtime.Version(), out.String())
		}
	}
	var out, errOut bytes.Buffer
	if err := Run(context.Background(), []string{"version", "extra"}, func(string) string { return "" }, &out, &errOut); ExitCode(err) != 2 {
		t.Errorf("version extra = %v, want a usage error", err)
	}
}
