package batch

import (
	"encoding/json"
	"fmt"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/sqlstore"
)

// Check refuses, with a KindInvalid error starting with prefix, a change
// no store can apply as a whole: it is refused before it waits for a
// group, and never reaches a WriteFunc.
func Check(c *payresult.Change, prefix string) error {
	if err := check(c); err != nil {
		return payresult.Errorf(payresult.KindInvalid, "%s: %s", prefix, err)
	}
	return nil
}

func check(c *payresult.Change) error {
	if c == nil || (c.Order == nil && c.Attempt == nil && len(c.Events) == 0 && len(c.Notes) == 0 && c.Idempotency == nil) {
		return fmt.Errorf("empty change")
	}
	if err := checkIdempotency(c.Idempotency); err != nil {
		return err
	}
	for _, n := range c.Notes {
		if n.MerchantUID == "" || n.Source == "" || n.Kind == "" {
			return fmt.Errorf("note without merchant_uid, source or kind")
		}
	}
	uid := ""
	if o := c.Order; o != nil {
		switch {
		case o.MerchantUID == "":
			return fmt.Errorf("order without merchant_uid")
		case !o.Status.Valid():
			return fmt.Errorf("unknown status %q", o.Status)
		case o.API != "" && !o.API.Valid():
			return fmt.Errorf("unknown PortOne API %q", o.API)
		case c.FromVersion < 0:
			return fmt.Errorf("from version %d", c.FromVersion)
		}
		uid = o.MerchantUID
	}
	if a := c.Attempt; a != nil {
		if a.ImpUID == "" || a.MerchantUID == "" || (uid != "" && a.MerchantUID != uid) {
			return fmt.Errorf("attempt %q for order %q does not belong to order %q", a.ImpUID, a.MerchantUID, uid)
		}
	}
	for _, e := range c.Events {
		switch {
		case e.ID == "" || e.Type == "" || e.MerchantUID == "":
			return fmt.Errorf("event without id, type or merchant_uid")
		case uid != "" && e.MerchantUID != uid:
			return fmt.Errorf("event %s is for another order", e.ID)
		case !json.Valid(e.Data):
			return fmt.Errorf("event %s data is not JSON", e.ID)
		case !sqlstore.ValidDeliveryState(sqlstore.DeliveryStateOr(e.State)):
			return fmt.Errorf("event %s has an unknown delivery state", e.ID)
		}
	}
	return nil
}

// checkIdempotency refuses a write to an idempotency key's record
// without key or claim, or that neither pins a basis nor answers.
func checkIdempotency(w *payresult.IdempotencyWrite) error {
	switch {
	case w == nil:
		return nil
	case w.Key == "" || w.Token == "":
		return fmt.Errorf("idempotency write without key or token")
	case w.Status == 0 && (w.Basis == nil || w.Body != nil):
		return fmt.Errorf("idempotency write of key %q neither pins a basis nor answers", w.Key)
	case w.Status != 0 && (w.Status < 100 || w.Status > 599 || w.Body == nil):
		return fmt.Errorf("idempotency write of key %q answers with status %d and %d bytes", w.Key, w.Status, len(w.Body))
	}
	return nil
}

// stored tells c what being stored gave it, besides the events' seqs:
// the order's new version and its times as the stores keep them (to the
// microsecond, in UTC), and each event's delivery state.
func stored(c *payresult.Change) {
	if o := c.Order; o != nil {
		o.Version = c.FromVersion + 1
		o.CreatedAt = sqlstore.RoundTime(o.CreatedAt)
		o.UpdatedAt = sqlstore.RoundTime(o.UpdatedAt)
		o.PaidAt = sqlstore.RoundTime(o.PaidAt)
		o.NextCheckAt = sqlstore.RoundTime(o.NextCheckAt)
	}
	for i := range c.Events {
		c.Events[i].State = sqlstore.DeliveryStateOr(c.Events[i].State)
	}
}
