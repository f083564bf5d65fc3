package cli

import (
	"context"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestREADMEConfigTable keeps the README's configuration table in step
// with serve's settings: every setting has its row, with its variable and
// its flag, and the table lists nothing serve does not read.
func TestREADMEConfigTable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, m := range regexp.MustCompile("(?m)^\\| `([A-Z0-9_]+)` \\| `--([a-z0-9-]+)` \\|").FindAllSubmatch(readme, -1) {
		rows = append(rows, string(m[1])+" --"+string(m[2]))
	}
	var settings []string
	for _, s := range serveEnv {
		settings = append(settings, s.env+" --"+s.flag)
	}
	slices.Sort(rows)
	slices.Sort(settings)
	if diff := cmp.Diff(settings, rows); diff != "" {
		t.Errorf("serve's settings (-) and the README's configuration table (+) differ:\n%s", diff)
	}
}

// TestREADMEShowsRealHelp: the help the README shows (payresult --help and
// payresult reconcile --help) is what the commands print, word for word,
// so that it is redone when a command's help changes.
func TestREADMEShowsRealHelp(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"--help"}, {"reconcile", "--help"}} {
		var stdout strings.Builder
		if err := Run(context.Background(), args, func(string) string { return "" }, &stdout, io.Discard); err != nil {
			t.Fatalf("payresult %s: %v", strings.Join(args, " "), err)
		}
		shown := "$ payresult " + strings.Join(args, " ") + "\n" + stdout.String()
		if !strings.Contains(string(readme), shown) {
			t.Errorf("the README does not show what payresult %s prints; it prints:\n%s", strings.Join(args, " "), stdout.String())
		}
	}
}
