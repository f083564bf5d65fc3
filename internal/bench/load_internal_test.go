package bench

import (
	"context"
	"errors"
	"github.com/payresult/payresult/internal/fakeclock"
	"sync/atomic"
	"testing"
	"time"

	"github.com/payresult/payresult/internal/cputime"
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

// TestMeasureRepeatableRunsLongEnough checks that a phase of repeatable
// operations that ends before minRepeatTime is measured again over that
// long, so that the machine's CPU ticks can time it, and that a phase
// already that long, or one with failures, is kept as it ran.
func TestMeasureRepeatableRunsLongEnough(t *testing.T) {
	// Each operation takes a millisecond of a fake clock, so that the
	// phase's pace is the same on a busy machine as on an idle one.
	clock := fakeclock.New(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	e := &env{cfg: &Config{MaxLevelTime: time.Minute}, clock: clock.Now}
	var ran atomic.Int64
	quick := func(context.Context, int) error { ran.Add(1); clock.Advance(time.Millisecond); return nil }
	st := e.measureRepeatable(context.Background(), 1, 10, quick)
	if st.Seconds < minRepeatTime.Seconds() || st.Count != 375 || st.Errors != 0 { // 10 × 1.5 × 250 ms / 10 ms
		t.Errorf("quick phase = %d operations in %.3f s, want more than 10 over at least %v", st.Count, st.Seconds, minRepeatTime)
	}
	if got := ran.Load(); got < int64(10+st.Count) {
		t.Errorf("ran %d operations, want the first 10, the %d measured and any run between", got, st.Count)
	}

	ran.Store(0)
	failing := func(context.Context, int) error { ran.Add(1); return errors.New("refused") }
	if st := e.measureRepeatable(context.Background(), 1, 10, failing); st.Count != 10 || st.Errors != 10 || ran.Load() != 10 {
		t.Errorf("failing phase = %+v after %d runs, want the 10 failures kept, not run again", st, ran.Load())
	}
}
