// Package groupcommit gathers concurrent calls into batches written by
// one of the callers, so that a store can commit many changes with one
// transaction and one flush.
//
// There is no goroutine of its own. The first caller to find no batch
// being written becomes the leader: it writes its own batch (itself and
// whoever was waiting, up to the bound) and, if others queued meanwhile,
// hands the lead to the first of them before it returns. So every caller
// waits for at most the batch being written and then its own, and no
// caller's answer is held back while it writes batches for later callers.
// Each item gets its own result, so that one refused change need not
// fail the others of its batch.
package groupcommit

import (
	"errors"
	"sync"
)

// ErrPanicked is the result of every item of a batch whose write
// panicked: whether the batch was stored is unknown. The panic goes on in
// the leader; the other callers get this error, and the lead passes on,
// so that later calls are still written.
var ErrPanicked = errors.New("groupcommit: writing the batch panicked; it may or may not be stored")

// Item is one call waiting in a Queue.
type Item[T any] struct {
	// Value is what the caller passed to Do.
	Value T
	// Err is the item's own result, set by the write function.
	Err error
	// wake tells the waiting caller that its item is written, or, with
	// lead set, that it must write the next batch.
	wake chan struct{}
	lead bool
}

// Queue hands batches of concurrent calls to a leader among the callers.
// It is safe for concurrent use.
type Queue[T any] struct {
	max   int
	write func(batch []*Item[T])

	mu      sync.Mutex
	waiting []*Item[T]
	leading bool
}

// New returns a Queue whose batches hold at most size items (at least
// one) and are written by write. write sets each item's Err; it is
// called by one caller at a time, and every item's Do returns only
// after write has returned for its batch.
func New[T any](size int, write func(batch []*Item[T])) *Queue[T] {
	return &Queue[T]{max: max(size, 1), write: write}
}

// Do queues v, writes its batch if no other caller is writing one, and
// returns v's own result once its batch has been written.
func (q *Queue[T]) Do(v T) error {
	it := &Item[T]{Value: v, wake: make(chan struct{}, 1)}
	q.mu.Lock()
	q.waiting = append(q.waiting, it)
	if q.leading {
		q.mu.Unlock()
		<-it.wake // bounded by the batch being written and the next
		if !it.lead {
			return it.Err
		}
	} else {
		q.leading = true
		q.mu.Unlock()
	}
	q.lead()
	return it.Err
}

// lead writes the first batch of waiting items, which holds the leader's
// own (a caller leads only while its item is first in line), then hands
// the lead to the next waiting caller or gives it up.
func (q *Queue[T]) lead() {
	q.mu.Lock()
	n := min(len(q.waiting), q.max)
	batch := q.waiting[:n:n]
	q.waiting = q.waiting[n:]
	q.mu.Unlock()

	panicked := true
	defer func() {
		for _, it := range batch {
			if panicked {
				it.Err = ErrPanicked
			}
			it.wake <- struct{}{}
		}
		q.handOff()
	}()
	q.write(batch)
	panicked = false
}

// handOff hands the lead to the first waiting caller, or gives it up when
// none waits.
func (q *Queue[T]) handOff() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.waiting) == 0 {
		q.leading = false
		return
	}
	next := q.waiting[0]
	next.lead = true
	next.wake <- struct{}{}
}
