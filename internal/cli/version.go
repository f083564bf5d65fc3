package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
)

// readBuildInfo is debug.ReadBuildInfo; tests replace it.
var readBuildInfo = debug.ReadBuildInfo

// runVersion prints what this binary was built from.
func runVersion(ctx context.Context, env Env) error {
	fs := flag.NewFlagSet("payresult version", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if err := fs.Parse(env.Args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			versionHelp.write(env.Stdout, fs)
			return nil
		}
		return usageError(env, "version", err)
	}
	if fs.NArg() > 0 {
		return usageError(env, "version", fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	bi, _ := readBuildInfo()
	io.WriteString(env.Stdout, versionText(bi))
	return nil
}

// versionHelp is payresult version --help.
var versionHelp = help{
	name:  "version",
	usage: "",
	about: `
Prints the module version payresult was built from, its commit (with
"modified" when the working tree had changes), and the Go release and
platform it was built with. payresult --version prints the same.`,
	example: "payresult version",
}

// buildVersion returns the module version of the binary: a tag such as
// v0.3.0 for "go install ...@v0.3.0", a pseudo-version or "(devel)" for
// a build from a checkout, "unknown" without build information.
func buildVersion(bi *debug.BuildInfo) string {
	if bi == nil || bi.Main.Version == "" {
		return "unknown"
	}
	return bi.Main.Version
}

// versionText formats the build information of the binary. A binary
// built by "go install module@version" has a version but no commit (the
// module proxy's source is not a checkout); one built in a checkout has
// the commit and a "(devel)" or pseudo version.
func versionText(bi *debug.BuildInfo) string {
	var b strings.Builder
	fmt.Fprintf(&b, "payresult %s\n", buildVersion(bi))
	if bi != nil {
		fmt.Fprintf(&b, "  module  %s\n", bi.Main.Path)
	}
	commit := buildCommit(bi)
	if commit == "" {
		commit = "unknown (not built from a git checkout)"
	}
	fmt.Fprintf(&b, "  commit  %s\n", commit)
	goVersion := runtime.Version()
	if bi != nil && bi.GoVersion != "" {
		goVersion = bi.GoVersion
	}
	fmt.Fprintf(&b, "  go      %s %s/%s\n", goVersion, runtime.GOOS, runtime.GOARCH)
	return b.String()
}

// buildCommit returns the commit the binary was built from, with its
// time and whether the working tree was modified; "" when the build
// recorded no commit.
func buildCommit(bi *debug.BuildInfo) string {
	if bi == nil {
		return ""
	}
	var rev, at string
	modified := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev == "" {
		return ""
	}
	var notes []string
	if at != "" {
		notes = append(notes, at)
	}
	if modified {
		notes = append(notes, "modified")
	}
	if len(notes) == 0 {
		return rev
	}
	return rev + " (" + strings.Join(notes, ", ") + ")"
}
