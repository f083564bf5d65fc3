// Package timeline keeps orders' timeline lines off the commit path: a
// payresult.Store wrapper that writes them in batches, shortly after the
// changes they describe.
//
// The timeline is history, not state (see payresult.Store.RecordNotice):
// an order's status, attempts and events are what payresult decides by,
// and those are still written by the change itself, durably, before
// Confirm answers. Writing Confirm's few lines inside the same
// transaction made every change touch two more B-trees on SQLite, and a
// duplicate notice (the redirect after the webhook, a PortOne resend)
// cost a durable commit of its own for nothing but history. Here the
// lines wait in memory and are written together in one transaction of
// the wrapped store: every Interval, or as soon as BatchLines wait.
//
// What that costs: a process that dies loses the lines it had not
// written yet, at most about Interval's worth. Readers in the same
// process see every line, because Timeline writes what waits first;
// another process sees lines up to Interval late.
package timeline

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/sqlstore"
)

// Defaults of Options.
const (
	DefaultInterval   = 100 * time.Millisecond
	DefaultBatchLines = 256
	// DefaultMaxPending bounds the lines held while the database refuses
	// them (about 5 MiB); beyond it the oldest are dropped, and said so.
	DefaultMaxPending = 1 << 14
	// flushTimeout bounds a background write and the last one at Close.
	flushTimeout = 10 * time.Second
)

// Options tune a Store; the zero value means the defaults.
type Options struct {
	// Interval is the longest a line waits before it is written.
	Interval time.Duration
	// BatchLines is how many waiting lines start a write at once, and the
	// most one transaction takes.
	BatchLines int
	// MaxPending is the most lines held in memory.
	MaxPending int
	// Logger is told about lines that could not be written; nil discards.
	Logger *slog.Logger
}

// Store is a payresult.Store whose timeline lines are written in batches.
// Every other method is the wrapped store's. Close it, not the wrapped
// store: Close writes what still waits.
type Store struct {
	payresult.Store
	opts Options

	mu      sync.Mutex
	pending []payresult.NoticeRecord
	dropped int // lines dropped and not yet reported

	writing sync.Mutex    // one write at a time, so lines keep their order
	full    chan struct{} // a batch is waiting
	stop    chan struct{}
	stopped chan struct{}
	once    sync.Once
	err     error // Close's result
}

var _ payresult.Store = (*Store)(nil)

// Batched wraps s and starts the background writer; Close stops it.
func Batched(s payresult.Store, opts Options) *Store {
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.BatchLines <= 0 {
		opts.BatchLines = DefaultBatchLines
	}
	if opts.MaxPending <= 0 {
		opts.MaxPending = DefaultMaxPending
	}
	opts.MaxPending = max(opts.MaxPending, opts.BatchLines)
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	t := &Store{Store: s, opts: opts, full: make(chan struct{}, 1),
		stop: make(chan struct{}), stopped: make(chan struct{})}
	go t.run()
	return t
}

// Apply stores c without its timeline lines through the wrapped store,
// and queues the lines once that succeeded. A change of lines alone is
// only queued.
func (t *Store) Apply(ctx context.Context, c *payresult.Change) error {
	if c == nil || len(c.Notices) == 0 {
		return t.Store.Apply(ctx, c)
	}
	if err := validLines(c.Notices); err != nil {
		return err
	}
	if c.Order != nil || c.Attempt != nil || len(c.Events) > 0 {
		rest := *c // shares Order and Events, which Apply completes
		rest.Notices = nil
		if err := t.Store.Apply(ctx, &rest); err != nil {
			return err
		}
	}
	t.add(c.Notices...)
	return nil
}

// RecordNotice queues n. n.At is set when zero; n.ID stays zero: the
// line has no id until it is written.
func (t *Store) RecordNotice(ctx context.Context, n *payresult.NoticeRecord) error {
	if err := sqlstore.ValidNotice(n, "timeline: record notice"); err != nil {
		return err
	}
	if n.At.IsZero() {
		n.At = time.Now().UTC()
	}
	t.add(*n)
	return nil
}

// Timeline writes the lines waiting and then reads the order's timeline
// from the wrapped store. A failed write is logged: what is stored is
// still worth showing.
func (t *Store) Timeline(ctx context.Context, merchantUID string) ([]payresult.NoticeRecord, error) {
	if err := t.Flush(ctx); err != nil {
		t.opts.Logger.Warn("timeline lines not written before a read", "err", err)
	}
	return t.Store.Timeline(ctx, merchantUID)
}

// Close stops the background writer, writes the lines still waiting and
// closes the wrapped store. It is safe to call more than once.
func (t *Store) Close() error {
	t.once.Do(func() {
		close(t.stop)
		<-t.stopped
		ctx, cancel := context.WithTimeout(context.Background(), flushTimeout)
		defer cancel()
		ferr := t.Flush(ctx)
		if ferr != nil {
			t.opts.Logger.Error("timeline lines lost at close", "lines", t.waiting(), "err", ferr)
		}
		t.err = errors.Join(ferr, t.Store.Close())
	})
	return t.err
}

// Flush writes every line waiting when it is called, in transactions of
// at most BatchLines lines. Lines it could not write wait for the next.
func (t *Store) Flush(ctx context.Context) error {
	t.writing.Lock()
	defer t.writing.Unlock()
	t.mu.Lock()
	lines, dropped := t.pending, t.dropped
	t.pending, t.dropped = nil, 0
	t.mu.Unlock()
	if dropped > 0 {
		t.opts.Logger.Warn("timeline lines dropped: the database did not take them in time",
			"lines", dropped, "max_pending", t.opts.MaxPending)
	}
	for len(lines) > 0 {
		n := min(len(lines), t.opts.BatchLines)
		err := t.Store.Apply(ctx, &payresult.Change{Notices: lines[:n]})
		if payresult.KindOf(err) == payresult.KindInvalid {
			// Refused for what the lines are, not for the database's state:
			// waiting would not help, and would hold up the lines behind.
			t.opts.Logger.Error("timeline lines refused by the store; dropped", "lines", n, "err", err)
		} else if err != nil {
			t.requeue(lines)
			return err
		}
		lines = lines[n:]
	}
	return nil
}

// run writes waiting lines every Interval, and at once when a batch is
// full, until Close.
func (t *Store) run() {
	defer close(t.stopped)
	tick := time.NewTicker(t.opts.Interval)
	defer tick.Stop()
	for {
		select {
		case <-t.stop:
			return
		case <-tick.C:
		case <-t.full:
		}
		ctx, cancel := context.WithTimeout(context.Background(), flushTimeout)
		if err := t.Flush(ctx); err != nil {
			t.opts.Logger.Warn("timeline lines not written yet; will retry", "lines", t.waiting(), "err", err)
		}
		cancel()
	}
}

// add queues lines, dropping the oldest beyond MaxPending, and wakes the
// writer when a batch is full.
func (t *Store) add(lines ...payresult.NoticeRecord) {
	t.mu.Lock()
	t.pending = append(t.pending, lines...)
	t.trim()
	n := len(t.pending)
	t.mu.Unlock()
	if n >= t.opts.BatchLines {
		select {
		case t.full <- struct{}{}:
		default:
		}
	}
}

// requeue puts lines a write could not take back before those queued
// since, so that the order of the timeline is kept.
func (t *Store) requeue(lines []payresult.NoticeRecord) {
	t.mu.Lock()
	t.pending = append(lines[:len(lines):len(lines)], t.pending...)
	t.trim()
	t.mu.Unlock()
}

// trim drops the oldest lines beyond MaxPending; t.mu is held.
func (t *Store) trim() {
	if over := len(t.pending) - t.opts.MaxPending; over > 0 {
		t.pending = append(t.pending[:0:0], t.pending[over:]...)
		t.dropped += over
	}
}

// waiting is how many lines wait.
func (t *Store) waiting() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.pending)
}

// validLines refuses lines no store would take, before they are queued:
// a bad line must fail its caller, not a later batch of good ones.
func validLines(lines []payresult.NoticeRecord) error {
	for i := range lines {
		if err := sqlstore.ValidNotice(&lines[i], "timeline"); err != nil {
			return err
		}
	}
	return nil
}
