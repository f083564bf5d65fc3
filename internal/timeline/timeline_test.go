package timeline_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/testdb"
	"github.com/payresult/payresult/internal/timeline"
	"github.com/payresult/payresult/portone"
)

func line(uid string, i int) payresult.NoticeRecord {
	return payresult.NoticeRecord{MerchantUID: uid, Source: payresult.SourceWebhook, Kind: "notice",
		Detail: fmt.Sprintf("line %d", i), At: time.Date(2026, 11, 25, 9, 0, i, 0, time.UTC)}
}

func details(lines []payresult.NoticeRecord) []string {
	var out []string
	for _, l := range lines {
		out = append(out, l.Detail)
	}
	return out
}

// TestChangeCommitsWithoutItsLines checks on SQLite that Apply stores the
// change at once and its lines only later, in one batch, and that a read
// through the wrapper sees them at once.
func TestChangeCommitsWithoutItsLines(t *testing.T) {
	ctx := context.Background()
	inner, s, o := pendingOrder(t)
	next := *o
	next.Status = payresult.StatusFailed
	c := &payresult.Change{FromVersion: o.Version, Order: &next, Notices: []payresult.NoticeRecord{line("m-1", 1), line("m-1", 2)}}
	if err := s.Apply(ctx, c); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if next.Version != o.Version+1 {
		t.Errorf("Apply left the order at version %d, want %d", next.Version, o.Version+1)
	}
	got, err := inner.Order(ctx, "m-1")
	if err != nil || got.Status != payresult.StatusFailed {
		t.Fatalf("stored order = %+v, %v; want it failed at once", got, err)
	}
	if lines, err := inner.Timeline(ctx, "m-1"); err != nil || len(lines) != 0 {
		t.Fatalf("the store's timeline before any write = %v, %v; want empty", details(lines), err)
	}
	lines, err := s.Timeline(ctx, "m-1")
	if err != nil || !slices.Equal(details(lines), []string{"line 1", "line 2"}) {
		t.Fatalf("Timeline through the wrapper = %v, %v; want both lines", details(lines), err)
	}
	if lines[0].ID == 0 || lines[1].ID <= lines[0].ID {
		t.Errorf("stored lines have ids %d, %d; want increasing", lines[0].ID, lines[1].ID)
	}
}

// pendingOrder opens a SQLite store, wraps it with a writer that only
// writes when asked, and creates the pending order m-1 through it.
func pendingOrder(t *testing.T) (inner payresult.Store, s *timeline.Store, o *payresult.Order) {
	t.Helper()
	inner = testdb.OpenSQLite(t)
	s = timeline.Batched(inner, timeline.Options{Interval: time.Hour})
	t.Cleanup(func() { s.Close() })
	o, _, err := s.CreateOrder(context.Background(), &payresult.Order{MerchantUID: "m-1", Name: "n",
		Amount: portone.Won(1000), Currency: "KRW", Status: payresult.StatusPending})
	if err != nil {
		t.Fatal(err)
	}
	return inner, s, o
}

// TestRefusedChangeQueuesNoLine checks that the lines of a change the
// store refused are never written.
func TestRefusedChangeQueuesNoLine(t *testing.T) {
	ctx := context.Background()
	_, s, o := pendingOrder(t)
	next := *o
	next.Status = payresult.StatusFailed
	c := &payresult.Change{FromVersion: o.Version + 5, Order: &next, Notices: []payresult.NoticeRecord{line("m-1", 1)}}
	if err := s.Apply(ctx, c); !payresult.IsConflict(err) {
		t.Fatalf("Apply at a stale version = %v, want a conflict", err)
	}
	if lines, err := s.Timeline(ctx, "m-1"); err != nil || len(lines) != 0 {
		t.Fatalf("timeline after a refused change = %v, %v; want empty", details(lines), err)
	}
}

// TestBadLineRefusedAtOnce checks that a line no store would take fails
// its own caller and changes nothing.
func TestBadLineRefusedAtOnce(t *testing.T) {
	f := &fakeStore{}
	s := timeline.Batched(f, timeline.Options{Interval: time.Hour})
	bad := line("m-1", 1)
	bad.Kind = ""
	if err := s.RecordNotice(context.Background(), &bad); payresult.KindOf(err) != payresult.KindInvalid {
		t.Errorf("RecordNotice(no kind) = %v, want KindInvalid", err)
	}
	err := s.Apply(context.Background(), &payresult.Change{Order: &payresult.Order{MerchantUID: "m-1"}, FromVersion: 1,
		Notices: []payresult.NoticeRecord{bad}})
	if payresult.KindOf(err) != payresult.KindInvalid {
		t.Errorf("Apply(with a bad line) = %v, want KindInvalid", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if n := f.applies(); n != 0 {
		t.Errorf("the store got %d writes, want none", n)
	}
}

// TestBatchesInOrderAndRetried checks that waiting lines are written in
// order, at most BatchLines to a transaction, that a failed write keeps
// them for the next, and that Close writes the rest.
func TestBatchesInOrderAndRetried(t *testing.T) {
	f := &fakeStore{}
	s := timeline.Batched(f, timeline.Options{Interval: time.Hour, BatchLines: 100, MaxPending: 10000})
	ctx := context.Background()
	// Full batches wake the background writer, whose writes fail too and
	// put their lines back.
	f.failAlways(errors.New("disk on fire"))
	for i := range 250 {
		l := line("m-1", i)
		if err := s.RecordNotice(ctx, &l); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Flush(ctx); err == nil {
		t.Fatal("Flush with a failing store succeeded")
	}
	f.failAlways(nil)
	l := line("m-1", 250)
	if err := s.RecordNotice(ctx, &l); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if !f.closed {
		t.Error("Close did not close the wrapped store")
	}
	got := f.lines()
	if len(got) != 251 {
		t.Fatalf("%d lines written, want 251", len(got))
	}
	for i, l := range got {
		if want := fmt.Sprintf("line %d", i); l.Detail != want {
			t.Fatalf("line %d is %q, want %q: order lost", i, l.Detail, want)
		}
	}
	for _, n := range f.batchSizes() {
		if n > 100 {
			t.Errorf("a batch of %d lines, want at most 100", n)
		}
	}
}

// TestFullBatchWrittenWithoutWaiting checks that BatchLines waiting lines
// are written long before Interval.
func TestFullBatchWrittenWithoutWaiting(t *testing.T) {
	f := &fakeStore{}
	s := timeline.Batched(f, timeline.Options{Interval: time.Hour, BatchLines: 10})
	t.Cleanup(func() { s.Close() })
	lines := make([]payresult.NoticeRecord, 10)
	for i := range lines {
		lines[i] = line("m-1", i)
	}
	if err := s.Apply(context.Background(), &payresult.Change{Notices: lines}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(f.lines()) < 10 {
		if time.Now().After(deadline) {
			t.Fatalf("%d of 10 lines written after 5 s, with a full batch waiting", len(f.lines()))
		}
		time.Sleep(time.Millisecond)
	}
}

// TestIntervalWritesAPartialBatch checks that a line is written within
// about Interval even when no batch fills.
func TestIntervalWritesAPartialBatch(t *testing.T) {
	f := &fakeStore{}
	s := timeline.Batched(f, timeline.Options{Interval: 5 * time.Millisecond})
	t.Cleanup(func() { s.Close() })
	l := line("m-1", 0)
	if err := s.RecordNotice(context.Background(), &l); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(f.lines()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("a lone line was not written within 5 s at a 5 ms interval")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestMaxPendingDropsOldest checks the bound on memory while the store
// refuses every write.
func TestMaxPendingDropsOldest(t *testing.T) {
	f := &fakeStore{}
	f.failAlways(errors.New("database down"))
	s := timeline.Batched(f, timeline.Options{Interval: time.Hour, BatchLines: 10, MaxPending: 20})
	ctx := context.Background()
	for i := range 50 {
		l := line("m-1", i)
		if err := s.RecordNotice(ctx, &l); err != nil {
			t.Fatal(err)
		}
	}
	f.failAlways(nil)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	got := details(f.lines())
	if len(got) != 20 || got[0] != "line 30" || got[19] != "line 49" {
		t.Errorf("written after the outage: %v; want the newest 20 (lines 30 to 49)", got)
	}
}

// fakeStore records the timeline writes it gets and can fail them.
type fakeStore struct {
	payresult.Store
	mu      sync.Mutex
	written []payresult.NoticeRecord
	sizes   []int
	n       int
	fail    error
	closed  bool
}

func (f *fakeStore) Apply(_ context.Context, c *payresult.Change) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	if f.fail != nil {
		return payresult.WrapError(payresult.KindTransient, f.fail, "fake")
	}
	f.written = append(f.written, c.Notices...)
	f.sizes = append(f.sizes, len(c.Notices))
	return nil
}

func (f *fakeStore) Close() error { f.closed = true; return nil }

func (f *fakeStore) failAlways(err error) { f.mu.Lock(); f.fail = err; f.mu.Unlock() }
func (f *fakeStore) applies() int         { f.mu.Lock(); defer f.mu.Unlock(); return f.n }
func (f *fakeStore) lines() []payresult.NoticeRecord {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.written)
}
func (f *fakeStore) batchSizes() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.sizes)
}
