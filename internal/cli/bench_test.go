package cli

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestPhaseRecorders checks that each phase gets the recordings the
// flags ask for, in files named after the phase, and none without flags.
func TestPhaseRecorders(t *testing.T) {
	env := Env{Stderr: io.Discard}
	if hook := phaseRecorders(env, benchFlags{}); hook != nil {
		t.Fatal("a phase hook without --phase-profiles or --phase-traces")
	}
	dir := t.TempDir()
	fl := benchFlags{phaseProfiles: filepath.Join(dir, "p"), phaseTraces: filepath.Join(dir, "t")}
	stop := phaseRecorders(env, fl)("c1-webhook")
	stop()
	for _, name := range []string{"p-c1-webhook.pprof", "t-c1-webhook.trace"} {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil || info.Size() == 0 {
			t.Errorf("%s: %v; want a recording", name, err)
		}
	}
}
