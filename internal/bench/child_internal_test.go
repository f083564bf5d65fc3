package bench

import (
	"os"
	"testing"
	"time"
)

// TestChildCPU reads this test's own /proc stat as if it were the serve
// child's, and checks that CPU burnt shows up in it.
func TestChildCPU(t *testing.T) {
	e := &env{childPID: os.Getpid()}
	before := e.childCPU()
	x := 0
	for start := time.Now(); time.Since(start) < 300*time.Millisecond; {
		x++
	}
	after := e.childCPU()
	if after-before < 100*time.Millisecond {
		t.Errorf("the stat shows %v of CPU for 300 ms of spinning (%d loops)", after-before, x)
	}
	if (&env{}).childCPU() != 0 {
		t.Error("CPU reported for a service in process")
	}
}
