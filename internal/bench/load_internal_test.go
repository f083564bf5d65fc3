package bench

import (
	"context"
	"testing"
	"time"

	"payresult/internal/cputime"
)

// TestMeasureCountsMachineCPU times operations that each spin for 2 ms
// of this process's CPU: the phase's machine-wide CPU per operation holds
// at least most of that (other processes can only add to it).
func TestMeasureCountsMachineCPU(t *testing.T) {
	if _, ok := cputime.Machine(); !ok {
		t.Skip("no /proc/stat on this system")
	}
	e := &env{cfg: &Config{MaxLevelTime: time.Minute}}
	spin := func(context.Context, int) error {
		for start := cputime.Self(); cputime.Self()-start < 2*time.Millisecond; {
		}
		return nil
	}
	st := e.measure(context.Background(), 1, 100, spin)
	if st.Count != 100 || st.CPUMicrosPerOp < 1900 {
		t.Fatalf("phase = %+v, want 100 operations of at least 2 ms of CPU", st)
	}
	// /proc/stat counts in ticks: allow a quarter off.
	if st.MachineCPUMicrosPerOp < 1500 {
		t.Errorf("machine CPU per op = %v µs, want at least most of the 2,000 µs spun", st.MachineCPUMicrosPerOp)
	}
}
