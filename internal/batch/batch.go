// Package batch is payresult's one write path: every change a store
// applies goes through a Writer, which gathers the changes that arrive
// together into one call of the store's WriteFunc, so that they share a
// transaction and its durable commit. It owns what both stores (sqlite
// and postgres) would otherwise each do their own way: checking a change
// before it waits, grouping concurrent changes, choosing the caller that
// writes a group, detaching the write from the callers' contexts, and
// what happens when a write panics. The stores' WriteFuncs hold only SQL.
//
// # The walk of a redirect notice, from the handler to the commit
//
//  1. payresult (the root package): RedirectHandler.ServeHTTP
//     (redirect.go) parses the query into a Notice and runs
//     Processor.Confirm (processor.go) detached from the request
//     (confirmRequest, notice.go). Confirm looks the payment up at
//     PortOne, reads the order and decides (decide.go); Processor.apply
//     builds one payresult.Change (the order's new state from the version
//     it read, the attempt, the event for the app, the timeline notes)
//     and hands it to Store.Apply.
//  2. sqlite (or postgres): Store.Apply is Writer.Apply of this package.
//  3. batch: Writer.Apply checks the change. A caller that finds no
//     group being written leads at once: it calls the store's WriteFunc
//     with its own change, with a context that no caller's cancellation
//     reaches. A caller that finds a group being written queues and
//     waits; when that group is stored, its leader answers its own
//     callers and hands the lead to the first queued caller, which
//     writes everything queued meanwhile (at most MaxGroup changes) as
//     the next group.
//  4. sqlite: Store.writeWithSavepoints (apply.go) runs one
//     transaction: for each change the order's compare-and-set, the
//     attempt, the events, the notes, then the commit. A lone change's
//     refusal rolls it back and is its answer; a group is written again,
//     each change in a savepoint of its own, only when one of its changes
//     is refused, so that the refused one is rolled back alone with its
//     own error. (postgres: Store.writeWithArrays writes a group with one
//     array statement per table, and likewise change by change in
//     savepoints only when one of them is refused.)
//  5. batch: the leader answers every caller of its group, and Confirm
//     returns to the handler, which renders the page or redirects.
//
// Three packages in all: payresult, sqlite (or postgres) and batch.
package batch

import (
	"context"
	"sync"

	"github.com/payresult/payresult"
)

// MaxGroup bounds how many changes one WriteFunc call gets from
// different callers. (One ApplyMany call's changes are never split.)
const MaxGroup = 64

// WriteFunc writes changes in one transaction, with the meaning of
// payresult.Store.ApplyMany: each change keeps its own compare-and-set,
// and a refused change leaves nothing behind and does not fail the
// others. It puts the error of each change refused on its own in
// refused[i] (the slice is as long as cs, all nil), and returns the
// error of the transaction itself (one that could not begin or commit),
// which becomes the answer of every change not refused. The changes are
// valid (see Check). On success a WriteFunc sets each event's Seq; the
// Writer sets the rest of what a change learns from being stored. ctx is
// never cancelled.
type WriteFunc func(ctx context.Context, cs []*payresult.Change, refused []error) error

// ErrPanicked is the answer of every change of a group whose write
// panicked: whether it was stored is unknown. The panic goes on in the
// caller that wrote the group; the lead passes on, so that later changes
// are still written.
var ErrPanicked error = &payresult.Error{Kind: payresult.KindInternal,
	Message: "writing the changes panicked; they may or may not be stored"}

// Writer gathers concurrent changes into groups written by its
// WriteFunc. It has no goroutine of its own: the callers write. It is
// safe for concurrent use.
type Writer struct {
	write WriteFunc
	what  string // names the store in errors

	mu      sync.Mutex
	waiting []*call
	leading bool
}

// call is one Apply or ApplyMany waiting for its group.
type call struct {
	ctx  context.Context
	cs   []*payresult.Change
	errs []error
	// done gets a value when the call is answered, or, with lead set,
	// when it must write the next group.
	done chan struct{}
	lead bool
}

// New returns a Writer on write; what names the store in errors
// ("sqlite", "postgres").
func New(what string, write WriteFunc) *Writer {
	return &Writer{write: write, what: what}
}

// Apply stores c as the Store.Apply of its store.
func (w *Writer) Apply(ctx context.Context, c *payresult.Change) error {
	if err := Check(c, w.what+": apply"); err != nil {
		return err
	}
	cs := [1]*payresult.Change{c}
	var errs [1]error
	w.do(&call{ctx: ctx, cs: cs[:], errs: errs[:]})
	return errs[0]
}

// ApplyMany stores cs as the Store.ApplyMany of its store: the valid
// changes are written together, each invalid one is refused on its own.
func (w *Writer) ApplyMany(ctx context.Context, cs []*payresult.Change) []error {
	errs := make([]error, len(cs))
	valid := make([]*payresult.Change, 0, len(cs))
	at := make([]int, 0, len(cs))
	for i, c := range cs {
		if errs[i] = Check(c, w.what+": apply"); errs[i] == nil {
			valid = append(valid, c)
			at = append(at, i)
		}
	}
	if len(valid) == 0 {
		return errs
	}
	c := &call{ctx: ctx, cs: valid, errs: make([]error, len(valid))}
	w.do(c)
	for j, i := range at {
		errs[i] = c.errs[j]
	}
	return errs
}

// do queues c and returns once it is answered, having written its group
// if it led one.
func (w *Writer) do(c *call) {
	w.mu.Lock()
	if !w.leading {
		// No group is being written, so none waits either: write c at
		// once, alone.
		w.leading = true
		w.mu.Unlock()
		w.lead([]*call{c})
		return
	}
	c.done = make(chan struct{}, 1)
	w.waiting = append(w.waiting, c)
	w.mu.Unlock()
	<-c.done // bounded by the group being written and the next
	if c.lead {
		w.lead(w.take())
	}
}

// take removes the next group from the queue: the first waiting call, and
// those after it while the group stays within MaxGroup changes.
func (w *Writer) take() []*call {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, size := 1, len(w.waiting[0].cs)
	for n < len(w.waiting) && size+len(w.waiting[n].cs) <= MaxGroup {
		size += len(w.waiting[n].cs)
		n++
	}
	group := w.waiting[:n:n]
	w.waiting = w.waiting[n:]
	return group
}

// lead writes group, answers its calls, and hands the lead to the next
// waiting call or gives it up. A panic in the write answers the group
// with ErrPanicked and still hands the lead on.
func (w *Writer) lead(group []*call) {
	panicked := true
	defer func() {
		for _, c := range group {
			if panicked {
				for i := range c.errs {
					c.errs[i] = ErrPanicked
				}
			}
			if c.done != nil {
				c.done <- struct{}{}
			}
		}
		w.handOff()
	}()
	w.writeGroup(group)
	panicked = false
}

// writeGroup writes the changes of group's live calls in one WriteFunc
// call; a call whose context ended while it waited is answered with its
// context's error and not written. The write runs detached from every
// caller's cancellation: a caller that gives up must not abort a commit
// that others' changes share, nor leave its own half known.
func (w *Writer) writeGroup(group []*call) {
	live := group[:0:0]
	var cs []*payresult.Change
	for _, c := range group {
		if err := c.ctx.Err(); err != nil {
			for i := range c.errs {
				c.errs[i] = payresult.WrapError(payresult.KindTransient, err, "%s: apply: given up before the write", w.what)
			}
			continue
		}
		live = append(live, c)
		cs = append(cs, c.cs...)
	}
	if len(live) == 0 {
		return
	}
	errs := make([]error, len(cs))
	if err := w.write(detached(live[0].ctx), cs, errs); err != nil {
		for i := range errs {
			if errs[i] == nil {
				errs[i] = err
			}
		}
	}
	for _, c := range live {
		for i := range c.cs {
			c.errs[i] = errs[i]
			if errs[i] == nil {
				stored(c.cs[i])
			}
		}
		errs = errs[len(c.cs):]
	}
}

// handOff hands the lead to the first waiting call, or gives it up when
// none waits.
func (w *Writer) handOff() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.waiting) == 0 {
		w.leading = false
		return
	}
	next := w.waiting[0]
	next.lead = true
	next.done <- struct{}{}
}

// detached returns ctx without its cancellation. A context that cannot
// end also spares database/sql and the SQLite driver the goroutines they
// start to watch for the end of one that can.
func detached(ctx context.Context) context.Context {
	if ctx.Done() == nil {
		return ctx
	}
	return context.WithoutCancel(ctx)
}
