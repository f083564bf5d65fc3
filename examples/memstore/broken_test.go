package memstore_test

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"sync"
	"testing"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/examples/memstore"
	"github.com/payresult/payresult/storetest"
)

// noCAS is a store that skips the compare-and-set: it applies every
// change to the order as it stands, whatever version the change was
// computed from (last writer wins). Confirm would then let a late webhook
// overwrite a refund, or two Confirms both win. Its own mutex makes the
// read and the write one step, so that what the suite sees does not
// depend on how goroutines interleave.
type noCAS struct {
	mu *sync.Mutex
	*memstore.Store
}

func (s noCAS) Apply(ctx context.Context, c *payresult.Change) error {
	return s.ApplyMany(ctx, []*payresult.Change{c})[0]
}

func (s noCAS) ApplyMany(ctx context.Context, cs []*payresult.Change) []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range cs {
		if c == nil || c.Order == nil || c.FromVersion <= 0 {
			continue
		}
		if cur, err := s.Order(ctx, c.Order.MerchantUID); err == nil {
			c.FromVersion = cur.Version // the check the store skips
		}
	}
	return s.Store.ApplyMany(ctx, cs)
}

// brokenEnv tells this test binary, started again by
// TestSuiteFailsStoreWithoutCompareAndSet, to run the suite against noCAS.
const brokenEnv = "MEMSTORE_TEST_NO_CAS"

// TestSuiteFailsStoreWithoutCompareAndSet is a test of the conformance
// suite itself: against a store that skips the compare-and-set it must
// fail, in the subtests that check it, and only there. The suite runs in
// a child process (this test binary again), since a failing suite fails
// the test that runs it.
func TestSuiteFailsStoreWithoutCompareAndSet(t *testing.T) {
	if os.Getenv(brokenEnv) == "1" {
		storetest.Run(t, func(t *testing.T) payresult.Store { return noCAS{&sync.Mutex{}, memstore.New()} })
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestSuiteFailsStoreWithoutCompareAndSet$", "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), brokenEnv+"=1")
	out, err := cmd.CombinedOutput()
	if _, failed := err.(*exec.ExitError); !failed {
		t.Fatalf("the suite passed a store without compare-and-set (err %v):\n%s", err, out)
	}
	var failedTests []string
	for _, m := range regexp.MustCompile(`--- FAIL: TestSuiteFailsStoreWithoutCompareAndSet/(\S+)`).FindAllSubmatch(out, -1) {
		failedTests = append(failedTests, string(m[1]))
	}
	// Racing changes that announce the same outcome carry the same event
	// id (payresult.EventID), which the store refuses twice even without
	// the compare-and-set; changes announcing different outcomes are what
	// only the compare-and-set stops.
	for _, want := range []string{"ApplyStaleVersion", "ApplyConcurrentOutcomes"} {
		if !slices.Contains(failedTests, want) {
			t.Errorf("subtest %s did not fail; failed: %v", want, failedTests)
		}
	}
	for _, unrelated := range []string{"NotFound", "ApplyInvalid", "ClaimEvents", "Notes", "Orders"} {
		if slices.Contains(failedTests, unrelated) {
			t.Errorf("subtest %s failed, though it checks nothing the broken store gets wrong", unrelated)
		}
	}
	t.Logf("the suite failed the store in: %v", failedTests)
}
