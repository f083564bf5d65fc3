package groupcommit

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// TestEachItemGetsItsOwnResult checks that a batch's write answers every
// item with its own error and that no batch exceeds the bound.
func TestEachItemGetsItsOwnResult(t *testing.T) {
	const size, callers = 4, 200
	var writing, batches atomic.Int32
	q := New(size, func(batch []*Item[int]) {
		if writing.Add(1) != 1 {
			t.Error("two batches written at once")
		}
		defer writing.Add(-1)
		batches.Add(1)
		if len(batch) == 0 || len(batch) > size {
			t.Errorf("batch of %d items, want 1 to %d", len(batch), size)
		}
		for _, it := range batch {
			if it.Value%3 == 0 {
				it.Err = fmt.Errorf("refused %d", it.Value)
			}
		}
	})
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			err := q.Do(i)
			if want := i%3 == 0; (err != nil) != want {
				t.Errorf("Do(%d) = %v, want an error: %v", i, err, want)
			} else if want && err.Error() != fmt.Sprintf("refused %d", i) {
				t.Errorf("Do(%d) = %v, another item's error", i, err)
			}
		})
	}
	wg.Wait()
	if n := batches.Load(); n < callers/size {
		t.Errorf("%d batches for %d callers of at most %d", n, callers, size)
	}
}

// TestWaitingCallsShareABatch checks that calls queued while a batch is
// being written are written together, in the next batch.
func TestWaitingCallsShareABatch(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{})
	var sizes []int
	var mu sync.Mutex
	q := New(64, func(batch []*Item[int]) {
		mu.Lock()
		sizes = append(sizes, len(batch))
		first := len(sizes) == 1
		mu.Unlock()
		if first {
			close(started)
			<-release // hold the first batch while the others queue
		}
	})
	var wg sync.WaitGroup
	wg.Go(func() { q.Do(0) })
	<-started
	const others = 10
	for i := range others {
		wg.Go(func() { q.Do(i + 1) })
	}
	// Wait until every other call is queued behind the held batch.
	for {
		q.mu.Lock()
		n := len(q.waiting)
		q.mu.Unlock()
		if n == others {
			break
		}
		runtime.Gosched()
	}
	close(release)
	wg.Wait()
	if len(sizes) != 2 || sizes[0] != 1 || sizes[1] != others {
		t.Errorf("batch sizes %v, want [1 %d]", sizes, others)
	}
}

// TestLeadingEnds checks that after a batch the next call leads again
// rather than waiting for a leader that has gone.
func TestLeadingEnds(t *testing.T) {
	errWrite := errors.New("write failed")
	q := New(0, func(batch []*Item[string]) {
		if len(batch) != 1 {
			t.Errorf("batch of %d sequential calls", len(batch))
		}
		batch[0].Err = errWrite
	})
	for range 3 {
		if err := q.Do("x"); !errors.Is(err, errWrite) {
			t.Fatalf("Do = %v, want %v", err, errWrite)
		}
	}
}
