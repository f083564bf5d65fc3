package groupcommit

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
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
	started, release := make(chan struct{}), make(chan struct{})
	var sizes []int
	var mu sync.Mutex
	q := New(64, holdFirst(started, release, func(batch []*Item[int]) {
		mu.Lock()
		sizes = append(sizes, len(batch))
		mu.Unlock()
	}))
	var wg sync.WaitGroup
	wg.Go(func() { q.Do(0) })
	<-started
	const others = 10
	queueBehind(q, &wg, others, func(i int) { q.Do(i) })
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

// holdFirst returns a write function that holds the first batch until
// release is closed (started is closed once it is held), and then runs
// then for every batch, the first included.
func holdFirst(started, release chan struct{}, then func(batch []*Item[int])) func([]*Item[int]) {
	var once sync.Once
	return func(batch []*Item[int]) {
		first := false
		once.Do(func() { first = true })
		if first {
			close(started)
			<-release
		}
		then(batch)
	}
}

// queueBehind starts n calls (values 1..n) and waits until all of them
// wait behind the batch being written.
func queueBehind(q *Queue[int], wg *sync.WaitGroup, n int, do func(i int)) {
	for i := range n {
		wg.Go(func() { do(i + 1) })
	}
	for {
		q.mu.Lock()
		queued := len(q.waiting)
		q.mu.Unlock()
		if queued == n {
			return
		}
		runtime.Gosched()
	}
}

// TestLeaderReturnsAfterItsOwnBatch checks that the leader answers its
// caller once its own batch is written, and that the next batch is
// written by one of the callers in it.
func TestLeaderReturnsAfterItsOwnBatch(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	firstDone := make(chan struct{})
	var batches atomic.Int32
	q := New(64, holdFirst(started, release, func(batch []*Item[int]) {
		if batches.Add(1) == 1 {
			return
		}
		// With the first caller still writing this batch, it would never
		// return, and this wait would time out.
		select {
		case <-firstDone:
		case <-time.After(10 * time.Second):
			t.Error("the first caller's Do did not return before the next batch was written")
		}
		for _, it := range batch {
			if it.Value == 0 {
				t.Error("the first caller's item was written twice")
			}
		}
	}))
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := q.Do(0); err != nil {
			t.Errorf("Do(0) = %v", err)
		}
		close(firstDone)
	})
	<-started
	queueBehind(q, &wg, 10, func(i int) {
		if err := q.Do(i); err != nil {
			t.Errorf("Do(%d) = %v", i, err)
		}
	})
	close(release)
	wg.Wait()
	if n := batches.Load(); n != 2 {
		t.Errorf("%d batches, want 2", n)
	}
}

// TestPanickingWriteFailsItsBatchOnly checks that a write that panics
// fails every item of its batch with ErrPanicked, goes on panicking in
// the leader, and leaves the queue usable.
func TestPanickingWriteFailsItsBatchOnly(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	var batches atomic.Int32
	q := New(64, holdFirst(started, release, func(batch []*Item[int]) {
		if batches.Add(1) == 2 {
			panic("store bug")
		}
	}))
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := q.Do(0); err != nil {
			t.Errorf("Do(0) = %v", err)
		}
	})
	<-started
	var panics atomic.Int32
	queueBehind(q, &wg, 5, func(i int) {
		defer func() {
			if recover() != nil {
				panics.Add(1)
			}
		}()
		if err := q.Do(i); !errors.Is(err, ErrPanicked) {
			t.Errorf("Do(%d) = %v, want ErrPanicked", i, err)
		}
	})
	close(release)
	wg.Wait()
	if n := panics.Load(); n != 1 {
		t.Errorf("%d callers panicked, want the leader alone", n)
	}
	if err := q.Do(99); err != nil {
		t.Errorf("Do after the panic = %v", err)
	}
}
