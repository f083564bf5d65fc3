package admin

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/payresult/payresult"
)

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
func deadEvents(ctx context.Context, s payresult.Store) ([]payresult.Event, bool, error) {
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
func eventsSince(ctx context.Context, s payresult.Store, since time.Time) ([]payresult.Event, bool, error) {
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
func firstSeqSince(ctx context.Context, s payresult.Store, since time.Time) (int64, error) {
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

// resend puts a dead event back in the outbox: pending and due now. Its
// attempt count is kept, so the delivery worker tries it once more and,
// should the app still fail, marks it dead again rather than retrying it
// for another four days.
func (h *Handler) resend(w http.ResponseWriter, r *http.Request) {
	if !h.validToken(r) {
		h.message(w, http.StatusForbidden, "The form is stale or was not sent by the admin page; reload it and try again.")
		return
	}
	id, mu := r.PathValue("id"), r.PostFormValue("merchant_uid")
	ev, err := h.findEvent(r.Context(), mu, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if ev.State != payresult.DeliveryDead {
		h.message(w, http.StatusConflict, "Event "+id+" is "+string(ev.State)+", not dead: there is nothing to resend.")
		return
	}
	err = h.cfg.Store.UpdateDelivery(r.Context(), &payresult.Delivery{
		EventID: ev.ID, State: payresult.DeliveryPending, Attempts: ev.Attempts,
		NextAttempt: h.cfg.Now().UTC(), LastError: ev.LastError,
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.log.Info("admin: dead event resent", "event_id", ev.ID, "merchant_uid", ev.MerchantUID)
	back := Prefix + "/"
	if r.PostFormValue("back") == "order" {
		back = Prefix + "/orders/" + url.PathEscape(ev.MerchantUID)
	}
	http.Redirect(w, r, back+"?resent="+url.QueryEscape(ev.ID), http.StatusSeeOther)
}

// findEvent returns the event id of order merchantUID.
func (h *Handler) findEvent(ctx context.Context, merchantUID, id string) (*payresult.Event, error) {
	if merchantUID == "" || !strings.HasPrefix(id, "evt_") {
		return nil, payresult.Errorf(payresult.KindInvalid, "the form names no event")
	}
	evs, err := h.cfg.Store.OrderEvents(ctx, merchantUID)
	if err != nil {
		return nil, err
	}
	for i := range evs {
		if evs[i].ID == id {
			return &evs[i], nil
		}
	}
	return nil, payresult.Errorf(payresult.KindNotFound, "no event %s of order %s", id, merchantUID)
}
