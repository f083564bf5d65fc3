package payresult

import (
	"context"
	"fmt"
	"time"

	"github.com/payresult/payresult/portone"
)

// Note is one entry of an order's timeline: a notice received, what
// PortOne said about its payment, what Confirm decided, a refund asked
// for. Notes are history for operators, not state: payresult never
// decides anything by them. Confirm stores its notes in the transaction
// of the change they explain (Change.Notes); notes that explain no change
// (a duplicate notice, a refusal) are a change of their own.
type Note struct {
	// ID orders an order's notes; the store assigns it.
	ID          int64        `json:"id"`
	MerchantUID string       `json:"merchant_uid"`
	ImpUID      string       `json:"imp_uid,omitempty"`
	Source      NoticeSource `json:"source"`
	Kind        string       `json:"kind"`   // notice, lookup, transition, ignored, error, refund, forgery_cancel
	Detail      string       `json:"detail"` // human-readable
	At          time.Time    `json:"at"`
}

// The kinds of the notes the processor writes.
const (
	noteNotice        = "notice"
	noteLookup        = "lookup"
	noteTransition    = "transition"
	noteIgnored       = "ignored"
	noteError         = "error"
	noteRefund        = "refund"
	noteForgeryCancel = "forgery_cancel"
)

// note writes one note now, in a change of its own. Notes are history,
// not state: a failure to write one is logged and otherwise ignored, so
// that it never turns a confirmed payment into an error.
func (p *Processor) note(ctx context.Context, merchantUID, impUID string, src NoticeSource, kind, format string, args ...any) {
	if merchantUID == "" {
		return
	}
	p.writeNotes(ctx, []Note{p.newNote(merchantUID, impUID, src, kind, format, args...)})
}

// newNote returns one note without writing it: Confirm gathers its notes
// and stores them with its change.
func (p *Processor) newNote(merchantUID, impUID string, src NoticeSource, kind, format string, args ...any) Note {
	return Note{
		MerchantUID: merchantUID,
		ImpUID:      impUID,
		Source:      src,
		Kind:        kind,
		Detail:      fmt.Sprintf(format, args...),
		At:          p.now(),
	}
}

// writeNotes writes gathered notes that no change carried, in one change
// of their own, best-effort like note.
func (p *Processor) writeNotes(ctx context.Context, notes []Note) {
	if len(notes) == 0 {
		return
	}
	if err := p.Store.Apply(ctx, &Change{Notes: notes}); err != nil {
		p.logger().Warn("timeline notes not written", "merchant_uid", notes[0].MerchantUID, "err", err)
	}
}

// receivedNotes are the notes for a notice and what PortOne said about
// its payment.
func (p *Processor) receivedNotes(n Notice, pay *portone.Payment) []Note {
	m := pay.MerchantUID
	detail := fmt.Sprintf("%s notice for imp_uid %q, merchant_uid %q", n.Source, n.ImpUID, n.MerchantUID)
	if n.ErrorMsg != "" || n.ErrorCode != "" {
		detail += fmt.Sprintf(" with error %s %q", n.ErrorCode, n.ErrorMsg)
	}
	notes := make([]Note, 2, 4) // room for the decision without copying
	notes[0] = p.newNote(m, pay.ImpUID, n.Source, noteNotice, "%s", detail)
	notes[1] = p.newNote(m, pay.ImpUID, n.Source, noteLookup, "PortOne: %s, %s %s %s, cancelled %s, sandbox %t",
		pay.Status, pay.PayMethod, pay.Amount, pay.Currency, pay.CancelAmount, pay.Sandbox)
	return notes
}

// decisionNote is the note for what Confirm decided.
func (p *Processor) decisionNote(src NoticeSource, pay *portone.Payment, d decision) Note {
	kind := noteIgnored
	if d.changes() {
		kind = noteTransition
	}
	return p.newNote(pay.MerchantUID, pay.ImpUID, src, kind, "%s: %s", d.outcome, d.reason)
}
