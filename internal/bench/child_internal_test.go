package bench

import (
	"github.com/payresult/payresult/internal/cputime"
	"os"
	"testing"
	"time"
)

// TestChildCPU reads this test's own /proc stat as if it were the serve
// child's, and checks that CPU burnt shows up in it.
func TestChildCPU(t *testing.T) {
	e := &env{childPID: os.Getpid()}
	before, self := e.childCPU(), cputime.Self()
	// Spin until the process has used 300 ms of CPU by its own account
	// (getrusage), however long a busy machine takes to give it that.
	x := 0
	for cputime.Self()-self < 300*time.Millisecond {
		x++
	}
	after := e.childCPU()
	if after-before < 200*time.Millisecond {
		t.Errorf("the stat shows %v of CPU for 300 ms of spinning by getrusage's count (%d loops)", after-before, x)
	}
	if (&env{}).childCPU() != 0 {
		t.Error("CPU reported for a service in process")
	}
}
