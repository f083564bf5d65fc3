// Package groupcommit gathers concurrent calls into batches written by
// one of the callers, so that a store can commit many changes with one
// transaction and one flush.
//
// There is no goroutine of its own: the first caller to find no batch
// being written becomes the leader and writes the waiting items, batch
// after batch, until none is left; the others wait for their answer.
// Each item gets its own result, so that one refused change need not
// fail the others of its batch.
package groupcommit

import "sync"

// Item is one call waiting in a Queue.
type Item[T any] struct {
	// Value is what the caller passed to Do.
	Value T
	// Err is the item's own result, set by the write function.
	Err  error
	done chan struct{}
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

// Do queues v, writes batches if no other caller is, and returns v's own
// result once its batch has been written.
func (q *Queue[T]) Do(v T) error {
	it := &Item[T]{Value: v, done: make(chan struct{})}
	q.mu.Lock()
	q.waiting = append(q.waiting, it)
	if q.leading {
		q.mu.Unlock()
		<-it.done // bounded by the leader's batches
		return it.Err
	}
	q.leading = true
	q.mu.Unlock()
	q.lead()
	<-it.done
	return it.Err
}

// lead writes batches until none is waiting, then gives up leading.
func (q *Queue[T]) lead() {
	for {
		q.mu.Lock()
		n := min(len(q.waiting), q.max)
		if n == 0 {
			q.leading = false
			q.mu.Unlock()
			return
		}
		batch := q.waiting[:n:n]
		q.waiting = q.waiting[n:]
		q.mu.Unlock()
		q.writeBatch(batch)
	}
}

// writeBatch writes batch and then answers each of its items.
func (q *Queue[T]) writeBatch(batch []*Item[T]) {
	defer func() {
		for _, it := range batch {
			close(it.done)
		}
	}()
	q.write(batch)
}
