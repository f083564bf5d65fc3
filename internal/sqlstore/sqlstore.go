// Package sqlstore holds what payresult's SQL stores (sqlite and
// postgres) do alike whatever their dialect: checking a change
// before it is written, and the values they both keep the same way.
package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/payresult/payresult"
)

// NowOr returns t, or the current time when t is zero, for NOT NULL times.
func NowOr(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now()
	}
	return t
}

// RoundTime keeps t to the microsecond in UTC, as the stores' columns do.
func RoundTime(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.Truncate(time.Microsecond).UTC()
}

// VbankJSON encodes a virtual account; nil is NULL.
func VbankJSON(v *payresult.VirtualAccount) (any, error) {
	if v == nil {
		return nil, nil
	}
	return json.Marshal(v)
}

// ParseVbank is the inverse of VbankJSON, keeping times to the
// microsecond like every other time in the stores.
func ParseVbank(b []byte) (*payresult.VirtualAccount, error) {
	if b == nil {
		return nil, nil
	}
	var v payresult.VirtualAccount
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	v.Deadline = RoundTime(v.Deadline)
	v.IssuedAt = RoundTime(v.IssuedAt)
	return &v, nil
}

// DeliveryStateOr returns st, or pending when st is empty.
func DeliveryStateOr(st payresult.DeliveryState) payresult.DeliveryState {
	if st == "" {
		return payresult.DeliveryPending
	}
	return st
}

// ValidDeliveryState reports whether st is a known delivery state.
func ValidDeliveryState(st payresult.DeliveryState) bool {
	switch st {
	case payresult.DeliveryPending, payresult.DeliveryDelivered, payresult.DeliveryDead, payresult.DeliveryNone:
		return true
	}
	return false
}

// ValidNote refuses, with a KindInvalid error starting with prefix, a
// note no store can keep: one without merchant_uid, source or
// kind.
func ValidNote(n *payresult.Note, prefix string) error {
	if n == nil || n.MerchantUID == "" || n.Source == "" || n.Kind == "" {
		return payresult.Errorf(payresult.KindInvalid, "%s: note without merchant_uid, source or kind", prefix)
	}
	return nil
}

// ValidChange refuses, with a KindInvalid error starting with prefix, a
// change that cannot be applied as a whole.
func ValidChange(c *payresult.Change, prefix string) error {
	bad := func(format string, args ...any) error {
		return payresult.Errorf(payresult.KindInvalid, prefix+": "+format, args...)
	}
	if c == nil || (c.Order == nil && c.Attempt == nil && len(c.Events) == 0 && len(c.Notes) == 0) {
		return bad("empty change")
	}
	for i := range c.Notes {
		if err := ValidNote(&c.Notes[i], prefix); err != nil {
			return err
		}
	}
	uid := ""
	if o := c.Order; o != nil {
		switch {
		case o.MerchantUID == "":
			return bad("order without merchant_uid")
		case !o.Status.Valid():
			return bad("unknown status %q", o.Status)
		case c.FromVersion < 1:
			return bad("from version %d", c.FromVersion)
		}
		uid = o.MerchantUID
	}
	if a := c.Attempt; a != nil {
		if a.ImpUID == "" || a.MerchantUID == "" || (uid != "" && a.MerchantUID != uid) {
			return bad("attempt %q for order %q does not belong to order %q", a.ImpUID, a.MerchantUID, uid)
		}
	}
	for _, e := range c.Events {
		if err := validEvent(e, uid); err != nil {
			return bad("%v", err)
		}
	}
	return nil
}

// validEvent checks one event of a change to order uid ("" for any).
func validEvent(e payresult.Event, uid string) error {
	switch {
	case e.ID == "" || e.Type == "" || e.MerchantUID == "":
		return errors.New("event without id, type or merchant_uid")
	case uid != "" && e.MerchantUID != uid:
		return errors.New("event " + e.ID + " is for another order")
	case !json.Valid(e.Data):
		return errors.New("event " + e.ID + " data is not JSON")
	case !ValidDeliveryState(DeliveryStateOr(e.State)):
		return errors.New("event " + e.ID + " has an unknown delivery state")
	}
	return nil
}

// MaxListLimit caps every listing of the stores, so that one request
// cannot read a whole table.
const MaxListLimit = 1000

// ListLimit checks a caller's limit: 0 means def, more than MaxListLimit
// is capped, negative is refused. prefix names the store in the error.
func ListLimit(limit, def int, prefix string) (int, error) {
	switch {
	case limit < 0:
		return 0, payresult.Errorf(payresult.KindInvalid, "%s: negative limit %d", prefix, limit)
	case limit == 0:
		return def, nil
	}
	return min(limit, MaxListLimit), nil
}

// Applied tells c what its commit gave it: the order's new version, and
// each event's feed position (seqs, in order) and delivery state.
func Applied(c *payresult.Change, seqs []int64) {
	if c.Order != nil {
		c.Order.Version = c.FromVersion + 1
	}
	for i := range c.Events {
		c.Events[i].Seq = seqs[i]
		c.Events[i].State = DeliveryStateOr(c.Events[i].State)
	}
}

// creator is what CreateByChange needs of a store.
type creator interface {
	CreateOrder(ctx context.Context, o *payresult.Order) (*payresult.Order, bool, error)
	Apply(ctx context.Context, c *payresult.Change) error
}

// IsCreate reports whether c registers a new order (FromVersion 0).
func IsCreate(c *payresult.Change) bool { return c != nil && c.Order != nil && c.FromVersion == 0 }

// CreateByChange applies a change that registers a new order: the order
// through s.CreateOrder, then the change's notes. A merchant_uid that
// exists refuses it with KindConflict.
func CreateByChange(ctx context.Context, s creator, c *payresult.Change) error {
	if c.Attempt != nil || len(c.Events) > 0 {
		return payresult.Errorf(payresult.KindInvalid, "a new order's change holds only the order and notes")
	}
	stored, created, err := s.CreateOrder(ctx, c.Order)
	if err != nil {
		return err
	}
	if !created {
		return payresult.Errorf(payresult.KindConflict, "order %q exists", c.Order.MerchantUID)
	}
	*c.Order = *stored
	if len(c.Notes) == 0 {
		return nil
	}
	return s.Apply(ctx, &payresult.Change{Notes: c.Notes})
}

// ApplyEach applies each change of cs with apply and answers each.
func ApplyEach(ctx context.Context, apply func(context.Context, *payresult.Change) error, cs []*payresult.Change) []error {
	errs := make([]error, len(cs))
	for i, c := range cs {
		errs[i] = apply(ctx, c)
	}
	return errs
}
