package cli

import (
	"context"
	"regexp"
	"strings"
	"testing"
)

// TestEveryCommandHelp: every command answers --help on stdout in the one
// shape: its summary, its usage, what it does, its flags (serve's
// settings with their environment variables), and an example.
func TestEveryCommandHelp(t *testing.T) {
	for name := range commands {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr strings.Builder
			if err := Run(context.Background(), []string{name, "--help"}, func(string) string { return "" }, &stdout, &stderr); err != nil {
				t.Fatalf("%s --help: %v", name, err)
			}
			out := stdout.String()
			head := "payresult " + name + ": " + summaries[name] + "\n\nUsage:\n  payresult " + name
			if !strings.HasPrefix(out, head) {
				t.Errorf("--help does not start with %q:\n%s", head, out)
			}
			if !regexp.MustCompile(`\n\nExample:\n(  \$ .+\n)+$`).MatchString(out) {
				t.Errorf("--help does not end with an example:\n%s", out)
			}
			if stderr.Len() > 0 {
				t.Errorf("--help wrote to stderr: %q", stderr.String())
			}
			for _, s := range serveEnv {
				line := regexp.MustCompile(`(?m)^  --` + regexp.QuoteMeta(s.flag) + `\b.*$`).FindString(out)
				if line != "" && (name == "serve" || strings.Contains(out, "Settings it shares")) && !strings.HasSuffix(line, ", "+s.env) {
					t.Errorf("--help lists --%s without its variable %s: %q", s.flag, s.env, line)
				}
			}
		})
	}
}

// TestUsageErrorsPointToHelp: a wrong flag or argument names the problem
// and where the help is, in the same words for every command.
func TestUsageErrorsPointToHelp(t *testing.T) {
	for name := range commands {
		t.Run(name, func(t *testing.T) {
			var stdout, stderr strings.Builder
			err := Run(context.Background(), []string{name, "--no-such-flag"}, func(string) string { return "" }, &stdout, &stderr)
			want := "payresult " + name + ": flag provided but not defined: -no-such-flag\nRun 'payresult " + name + " --help' for its usage.\n"
			if err != ErrUsage || stderr.String() != want {
				t.Errorf("%s --no-such-flag = %v, stderr %q; want ErrUsage and %q", name, err, stderr.String(), want)
			}
		})
	}
}
