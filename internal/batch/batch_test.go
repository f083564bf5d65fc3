package batch

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/payresult/payresult"
)

// note returns a valid change of one note whose detail is i.
func note(i int) *payresult.Change {
	return &payresult.Change{Notes: []payresult.Note{{MerchantUID: "m", Source: payresult.SourceApp, Kind: "test", Detail: strconv.Itoa(i)}}}
}

// id reads back note's i.
func id(c *payresult.Change) int {
	i, _ := strconv.Atoi(c.Notes[0].Detail)
	return i
}

// TestEachChangeGetsItsOwnAnswer checks that a group's write answers
// every change with its own error, that no two groups are written at
// once, and that no group exceeds MaxGroup.
func TestEachChangeGetsItsOwnAnswer(t *testing.T) {
	const callers = 300
	var writing, groups atomic.Int32
	w := New("test", func(ctx context.Context, cs []*payresult.Change, errs []error) error {
		if writing.Add(1) != 1 {
			t.Error("two groups written at once")
		}
		defer writing.Add(-1)
		groups.Add(1)
		if len(cs) == 0 || len(cs) > MaxGroup {
			t.Errorf("group of %d changes, want 1 to %d", len(cs), MaxGroup)
		}
		for i, c := range cs {
			if id(c)%3 == 0 {
				errs[i] = fmt.Errorf("refused %d", id(c))
			}
		}
		runtime.Gosched() // let callers queue up behind this group
		return nil
	})
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			err := w.Apply(context.Background(), note(i))
			if want := i%3 == 0; (err != nil) != want {
				t.Errorf("Apply(%d) = %v, want an error: %v", i, err, want)
			} else if want && err.Error() != fmt.Sprintf("refused %d", i) {
				t.Errorf("Apply(%d) = %v, another change's error", i, err)
			}
		})
	}
	wg.Wait()
	if n := groups.Load(); n < callers/MaxGroup {
		t.Errorf("%d groups for %d callers of at most %d", n, callers, MaxGroup)
	}
}

// TestWaitingChangesShareAGroup checks that changes queued while a group
// is being written are written together, in the next group, and that a
// lone change is written alone.
func TestWaitingChangesShareAGroup(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	var sizes []int
	var mu sync.Mutex
	w := New("test", holdFirst(started, release, func(cs []*payresult.Change) {
		mu.Lock()
		sizes = append(sizes, len(cs))
		mu.Unlock()
	}))
	var wg sync.WaitGroup
	wg.Go(func() { w.Apply(context.Background(), note(0)) })
	<-started
	const others = 10
	queueBehind(w, &wg, others, func(i int) { w.Apply(context.Background(), note(i)) })
	close(release)
	wg.Wait()
	if len(sizes) != 2 || sizes[0] != 1 || sizes[1] != others {
		t.Errorf("group sizes %v, want [1 %d]", sizes, others)
	}
}

// TestLoneCallsLeadAtOnce checks that calls one after another are each
// written alone, and that the lead is given up after each: a call that
// waited for a leader that has gone would never return.
func TestLoneCallsLeadAtOnce(t *testing.T) {
	errWrite := errors.New("write failed")
	w := New("test", func(ctx context.Context, cs []*payresult.Change, _ []error) error {
		if len(cs) != 1 {
			t.Errorf("group of %d one-after-another calls", len(cs))
		}
		return errWrite
	})
	for i := range 3 {
		if err := w.Apply(context.Background(), note(i)); !errors.Is(err, errWrite) {
			t.Fatalf("Apply = %v, want %v", err, errWrite)
		}
	}
}

// TestLeaderReturnsAfterItsOwnGroup checks that the leader answers its
// caller once its own group is written, and that the next group is
// written by one of the callers in it.
func TestLeaderReturnsAfterItsOwnGroup(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	firstDone := make(chan struct{})
	var groups atomic.Int32
	w := New("test", holdFirst(started, release, func(cs []*payresult.Change) {
		if groups.Add(1) == 1 {
			return
		}
		// With the first caller still writing this group, it would never
		// return, and this wait would time out.
		select {
		case <-firstDone:
		case <-time.After(10 * time.Second):
			t.Error("the first caller's Apply did not return before the next group was written")
		}
		for _, c := range cs {
			if id(c) == 0 {
				t.Error("the first caller's change was written twice")
			}
		}
	}))
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := w.Apply(context.Background(), note(0)); err != nil {
			t.Errorf("Apply(0) = %v", err)
		}
		close(firstDone)
	})
	<-started
	queueBehind(w, &wg, 10, func(i int) {
		if err := w.Apply(context.Background(), note(i)); err != nil {
			t.Errorf("Apply(%d) = %v", i, err)
		}
	})
	close(release)
	wg.Wait()
	if n := groups.Load(); n != 2 {
		t.Errorf("%d groups, want 2", n)
	}
}

// TestPanickingWriteFailsItsGroupOnly checks that a write that panics
// fails every change of its group with ErrPanicked, goes on panicking in
// the caller that wrote it, and leaves the Writer usable.
func TestPanickingWriteFailsItsGroupOnly(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	var groups atomic.Int32
	w := New("test", holdFirst(started, release, func(cs []*payresult.Change) {
		if groups.Add(1) == 2 {
			panic("store bug")
		}
	}))
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := w.Apply(context.Background(), note(0)); err != nil {
			t.Errorf("Apply(0) = %v", err)
		}
	})
	<-started
	var panics atomic.Int32
	queueBehind(w, &wg, 5, func(i int) {
		defer func() {
			if recover() != nil {
				panics.Add(1)
			}
		}()
		if err := w.Apply(context.Background(), note(i)); !errors.Is(err, ErrPanicked) {
			t.Errorf("Apply(%d) = %v, want ErrPanicked", i, err)
		}
	})
	close(release)
	wg.Wait()
	if n := panics.Load(); n != 1 {
		t.Errorf("%d callers panicked, want the one that wrote the group", n)
	}
	if err := w.Apply(context.Background(), note(99)); err != nil {
		t.Errorf("Apply after the panic = %v", err)
	}
}

// TestWriteIsDetachedFromCallers checks that the write never sees a
// caller's cancellation, that a caller whose context ends while its
// group is written still gets its group's answer, and that a caller that
// gave up before its group was taken is answered without being written.
func TestWriteIsDetachedFromCallers(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	var written sync.Map
	write := holdFirst(started, release, func(cs []*payresult.Change) {
		for _, c := range cs {
			written.Store(id(c), true)
		}
	})
	w := New("test", func(ctx context.Context, cs []*payresult.Change, errs []error) error {
		if ctx.Done() != nil {
			t.Error("the write got a context that can end")
		}
		return write(ctx, cs, errs)
	})
	first, cancelFirst := context.WithCancel(context.Background())
	gaveUp, cancelGaveUp := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var firstErr error
	wg.Go(func() { firstErr = w.Apply(first, note(1)) })
	<-started
	cancelFirst() // while its own group is being written
	var gaveUpErr error
	queueBehind(w, &wg, 1, func(int) { gaveUpErr = w.Apply(gaveUp, note(2)) })
	cancelGaveUp() // before its group is taken
	close(release)
	wg.Wait()
	if _, ok := written.Load(1); !ok || firstErr != nil {
		t.Errorf("the change whose caller gave up during the write: written %t, answer %v; want written, nil", ok, firstErr)
	}
	if _, ok := written.Load(2); ok || payresult.KindOf(gaveUpErr) != payresult.KindTransient || !errors.Is(gaveUpErr, context.Canceled) {
		t.Errorf("the change whose caller gave up before its group: written %t, answer %v; want not written, a transient context.Canceled", ok, gaveUpErr)
	}
}

// TestApplyManyAnswersEachChange checks that ApplyMany refuses invalid
// changes on their own, writes the valid ones in one group in their
// order, and answers each in its place.
func TestApplyManyAnswersEachChange(t *testing.T) {
	var groups [][]int
	w := New("test", func(ctx context.Context, cs []*payresult.Change, errs []error) error {
		var ids []int
		for i, c := range cs {
			ids = append(ids, id(c))
			if id(c) == 3 {
				errs[i] = payresult.Errorf(payresult.KindConflict, "refused 3")
			}
		}
		groups = append(groups, ids)
		return nil
	})
	cs := []*payresult.Change{note(1), {}, note(3), nil, note(5)}
	errs := w.ApplyMany(context.Background(), cs)
	want := []payresult.ErrorKind{"", payresult.KindInvalid, payresult.KindConflict, payresult.KindInvalid, ""}
	for i := range want {
		if got := payresult.KindOf(errs[i]); got != want[i] {
			t.Errorf("change %d: %v, want kind %q", i, errs[i], want[i])
		}
	}
	if len(groups) != 1 || fmt.Sprint(groups[0]) != "[1 3 5]" {
		t.Errorf("groups written %v, want [[1 3 5]]", groups)
	}
}

// TestStoredChangeLearnsItsVersion checks what a change learns from being
// stored: the order's new version, its times as stores keep them, and the
// events' delivery state. A refused change learns nothing.
func TestStoredChangeLearnsItsVersion(t *testing.T) {
	at := time.Date(2026, 3, 1, 9, 0, 0, 123456789, time.FixedZone("KST", 9*3600))
	change := func(m string) *payresult.Change {
		return &payresult.Change{FromVersion: 3,
			Order:  &payresult.Order{MerchantUID: m, Status: payresult.StatusPaid, UpdatedAt: at, PaidAt: at},
			Events: []payresult.Event{{ID: "evt_" + m, Type: payresult.EventPaid, MerchantUID: m, Data: []byte(`{}`)}},
		}
	}
	w := New("test", func(ctx context.Context, cs []*payresult.Change, errs []error) error {
		errs[1] = payresult.Errorf(payresult.KindConflict, "moved on")
		return nil
	})
	ok, refused := change("ok"), change("refused")
	w.ApplyMany(context.Background(), []*payresult.Change{ok, refused})
	want := time.Date(2026, 3, 1, 0, 0, 0, 123456000, time.UTC)
	if o := ok.Order; o.Version != 4 || !o.UpdatedAt.Equal(want) || o.UpdatedAt.Location() != time.UTC || !o.PaidAt.Equal(want) {
		t.Errorf("stored order: version %d, updated %v, paid %v; want 4, %v", o.Version, o.UpdatedAt, o.PaidAt, want)
	}
	if st := ok.Events[0].State; st != payresult.DeliveryPending {
		t.Errorf("stored event's state %q, want pending", st)
	}
	if o := refused.Order; o.Version != 0 || refused.Events[0].State != "" {
		t.Errorf("refused change learnt version %d, state %q", o.Version, refused.Events[0].State)
	}
}

// TestFailedTransactionAnswersTheRest checks that the error a WriteFunc
// returns (its transaction's: a commit that failed) answers every change
// it did not refuse on its own, and that a refused change keeps its own.
func TestFailedTransactionAnswersTheRest(t *testing.T) {
	errCommit := payresult.Errorf(payresult.KindTransient, "disk full")
	w := New("test", func(ctx context.Context, cs []*payresult.Change, errs []error) error {
		errs[1] = payresult.Errorf(payresult.KindConflict, "moved on")
		return errCommit
	})
	errs := w.ApplyMany(context.Background(), []*payresult.Change{note(1), note(2), note(3)})
	if errs[0] != errCommit || errs[2] != errCommit || !payresult.IsConflict(errs[1]) {
		t.Errorf("answers %v, want the commit's error but for the refused change's own", errs)
	}
}

// holdFirst returns a WriteFunc that holds the first group until release
// is closed (started is closed once it is held), runs then for every
// group, the first included, and answers every change with nil.
func holdFirst(started, release chan struct{}, then func(cs []*payresult.Change)) WriteFunc {
	var once sync.Once
	return func(ctx context.Context, cs []*payresult.Change, _ []error) error {
		first := false
		once.Do(func() { first = true })
		if first {
			close(started)
			<-release
		}
		then(cs)
		return nil
	}
}

// queueBehind starts n calls (1..n) and waits until all of them wait
// behind the group being written.
func queueBehind(w *Writer, wg *sync.WaitGroup, n int, do func(i int)) {
	for i := range n {
		wg.Go(func() { do(i + 1) })
	}
	for {
		w.mu.Lock()
		queued := len(w.waiting)
		w.mu.Unlock()
		if queued == n {
			return
		}
		runtime.Gosched()
	}
}
