package bench

import (
	"context"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/payresult/payresult/internal/cputime"
)

// Stats is how one phase went: how many operations finished in how long,
// and their latencies.
type Stats struct {
	// Count is how many operations ran (all of them unless the level's
	// time bound cut the phase short); Errors how many of those failed.
	Count  int `json:"count"`
	Errors int `json:"errors"`
	// FirstError is the first failure, for the operator.
	FirstError string `json:"first_error,omitempty"`
	// Paid is how many of the confirmed orders are paid afterwards (the
	// webhook and redirect phases only).
	Paid    int     `json:"paid,omitempty"`
	Seconds float64 `json:"seconds"`
	PerSec  float64 `json:"per_sec"`
	P50Ms   float64 `json:"p50_ms"`
	P99Ms   float64 `json:"p99_ms"`
	// CPUMicrosPerOp is the CPU time (user and system) this process spent
	// during the phase, per operation: the bench driver and the emulator,
	// and the service too when it runs in process. On a machine whose
	// cores are shared by all of them, it says which one ran out.
	CPUMicrosPerOp float64 `json:"cpu_us_per_op"`
	// ServiceCPUMicrosPerOp is the serve child's CPU time per operation,
	// when the service runs as a child process.
	ServiceCPUMicrosPerOp float64 `json:"service_cpu_us_per_op,omitempty"`
	// MachineCPUMicrosPerOp is the busy CPU time of the whole machine per
	// operation: every process, PostgreSQL's included. Zero where the
	// machine does not say (no /proc/stat).
	MachineCPUMicrosPerOp float64 `json:"machine_cpu_us_per_op,omitempty"`
}

// minRepeatTime is how long a phase of repeatable operations runs at
// least: the machine's CPU is read in ticks of 1/100 s, and a phase
// under five ticks per CPU has no machine figure (cputime.Machine).
const minRepeatTime = 250 * time.Millisecond

// measureRepeatable measures op, which may run any number of times (its
// index only picks the data), over at least n operations and at least
// minRepeatTime: a phase that ends sooner is run again, with as many more
// operations as its pace says that time takes, the runs before serving
// as warm-up.
func (e *env) measureRepeatable(ctx context.Context, c, n int, op func(ctx context.Context, i int) error) Stats {
	st := e.measure(ctx, c, n, op)
	for st.Count == n && st.Errors == 0 && st.Seconds < minRepeatTime.Seconds() && ctx.Err() == nil {
		// A phase this quick is nowhere near the level's time bound.
		n = int(math.Ceil(float64(n) * 1.5 * minRepeatTime.Seconds() / max(st.Seconds, 1e-6)))
		st = e.measure(ctx, c, n, op)
	}
	return st
}

// measure runs op for 0..n-1 on c goroutines, each taking the next index
// as soon as it is done with one (a closed loop), until all n ran or the
// level's time bound passed.
func (e *env) measure(ctx context.Context, c, n int, op func(ctx context.Context, i int) error) Stats {
	lat := make([]time.Duration, n)
	failed := make([]bool, n)
	var next atomic.Int64
	var first sync.Once
	var firstErr string
	deadline := e.now().Add(e.cfg.MaxLevelTime)
	cpu0, child0 := cputime.Self(), e.childCPU()
	machine0, machineOK := cputime.Machine()
	start := e.now()
	var wg sync.WaitGroup
	for range min(c, n) {
		wg.Go(func() {
			for {
				// The bound is checked before an index is taken, so that
				// every index taken below n is run: the phase did 0..done-1.
				if ctx.Err() != nil || e.now().After(deadline) {
					return
				}
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				t := e.now()
				err := op(ctx, i)
				lat[i] = e.now().Sub(t)
				if err != nil {
					failed[i] = true
					first.Do(func() { firstErr = err.Error() })
				}
			}
		})
	}
	wg.Wait()
	elapsed := e.now().Sub(start)
	cpu, child := cputime.Self()-cpu0, e.childCPU()-child0
	machine1, machineOK1 := cputime.Machine()
	done := min(int(next.Load()), n)
	ran := lat[:done]
	st := Stats{Count: done, FirstError: firstErr, Seconds: elapsed.Seconds()}
	for _, f := range failed[:done] {
		if f {
			st.Errors++
		}
	}
	if st.Count == 0 {
		return st
	}
	st.PerSec = float64(st.Count) / elapsed.Seconds()
	st.CPUMicrosPerOp = float64(cpu.Microseconds()) / float64(st.Count)
	if e.childPID != 0 {
		st.ServiceCPUMicrosPerOp = float64(child.Microseconds()) / float64(st.Count)
	}
	if machineOK && machineOK1 {
		st.MachineCPUMicrosPerOp = float64(machine1.BusySince(machine0, elapsed).Microseconds()) / float64(st.Count)
	}
	slices.Sort(ran)
	st.P50Ms = ms(percentile(ran, 0.50))
	st.P99Ms = ms(percentile(ran, 0.99))
	return st
}

// percentile returns the q-quantile of sorted by the nearest-rank method.
func percentile(sorted []time.Duration, q float64) time.Duration {
	i := int(q*float64(len(sorted))+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// now is the phases' clock: the real one, or a test's.
func (e *env) now() time.Time {
	if e.clock != nil {
		return e.clock()
	}
	return time.Now()
}
