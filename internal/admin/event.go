package admin

import (
	"context"
	"time"

	"github.com/payresult/payresult"
)

// feed reads the app's event feed in Seq order.
type feed interface {
	Events(ctx context.Context, after int64, limit int) ([]payresult.Event, error)
}

// Scans of the event feed read it eventPage events at a time and stop
// after maxEventScan events, so that a page load stays quick on a large
// outbox; the page says when a scan was cut short.
const (
	eventPage    = 500
	maxEventScan = 20000
)

// deadEvents returns the dead events of the feed, oldest first, and
// whether the scan stopped before the end of the feed. Dead events are
// days old, so they sit near the start of the feed, where the scan begins.
func deadEvents(ctx context.Context, s feed) ([]payresult.Event, bool, error) {
	var (
		dead  []payresult.Event
		after int64
	)
	for scanned := 0; scanned < maxEventScan; {
		page, err := s.Events(ctx, after, eventPage)
		if err != nil {
			return nil, false, err
		}
		for _, ev := range page {
			if ev.State == payresult.DeliveryDead {
				ev.Data = nil // not shown; keeps the page light
				dead = append(dead, ev)
			}
		}
		if len(page) < eventPage {
			return dead, false, nil
		}
		scanned += len(page)
		after = page[len(page)-1].Seq
	}
	return dead, true, nil
}

// eventsSince returns the events created at or after since, oldest first,
// and whether there were more than maxEventScan of them. The feed is
// ordered by Seq, which grows with time, so the first event of the window
// is found by a binary search over Seq: a few dozen one-row reads instead
// of reading the whole feed.
func eventsSince(ctx context.Context, s feed, since time.Time) ([]payresult.Event, bool, error) {
	start, err := firstSeqSince(ctx, s, since)
	if err != nil {
		return nil, false, err
	}
	var out []payresult.Event
	after := start
	for len(out) < maxEventScan {
		page, err := s.Events(ctx, after, eventPage)
		if err != nil {
			return nil, false, err
		}
		for _, ev := range page {
			if !ev.CreatedAt.Before(since) {
				ev.Data = nil
				out = append(out, ev)
			}
		}
		if len(page) < eventPage {
			return out, false, nil
		}
		after = page[len(page)-1].Seq
	}
	return out, true, nil
}

// firstSeqSince returns an "after" cursor from which the feed holds only
// events created at or after since (and all of them).
func firstSeqSince(ctx context.Context, s feed, since time.Time) (int64, error) {
	// reached(a) is true when the first event after cursor a is in the
	// window, or there is none: false up to some cursor, true from there.
	reached := func(a int64) (bool, error) {
		evs, err := s.Events(ctx, a, 1)
		if err != nil {
			return false, err
		}
		return len(evs) == 0 || !evs[0].CreatedAt.Before(since), nil
	}
	lo, hi := int64(0), int64(1)
	if ok, err := reached(lo); ok || err != nil {
		return lo, err
	}
	for { // grow hi until it is past the window's start
		ok, err := reached(hi)
		if err != nil {
			return 0, err
		}
		if ok {
			break
		}
		lo, hi = hi, hi*2
	}
	for hi-lo > 1 { // reached(lo) is false, reached(hi) is true
		mid := lo + (hi-lo)/2
		ok, err := reached(mid)
		if err != nil {
			return 0, err
		}
		if ok {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi, nil
}
