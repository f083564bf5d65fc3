package payresult

import (
	"context"
	"fmt"
	"unicode"
	"unicode/utf8"

	"github.com/payresult/payresult/portone"
)

// Notice is a claim that something happened to a payment: the buyer's
// redirect, PortOne's webhook, a reconciler's look-up or the app asking.
// Only its identifiers are used; Confirm asks PortOne for the rest.
type Notice struct {
	Source NoticeSource
	// ImpUID names the PortOne payment. When it is empty, Confirm looks up
	// the latest payment of MerchantUID.
	ImpUID string
	// MerchantUID names the order. When both are set, the payment must
	// belong to this order.
	MerchantUID string
	// ErrorCode and ErrorMsg come from a redirect after a failure. They are
	// shown to the buyer and kept in the timeline, never used to decide.
	ErrorCode, ErrorMsg string
}

// Identifier limits: PortOne's own (merchant_uid 40 characters, imp_uid
// 32), so that anything longer is refused before a PortOne call.
const (
	maxMerchantUIDLen = portone.MaxMerchantUIDLen
	maxImpUIDLen      = portone.MaxImpUIDLen
)

// validate checks that n names a payment or an order with identifiers
// PortOne could have issued.
func (n *Notice) validate() error {
	if n.ImpUID == "" && n.MerchantUID == "" {
		return Errorf(KindInvalid, "a notice needs an imp_uid or a merchant_uid")
	}
	if err := checkNoticeID("imp_uid", n.ImpUID, maxImpUIDLen); err != nil {
		return err
	}
	if err := checkNoticeID("merchant_uid", n.MerchantUID, maxMerchantUIDLen); err != nil {
		return err
	}
	if n.Source == "" {
		n.Source = SourceApp
	}
	return nil
}

// checkNoticeID refuses identifiers that no PortOne payment can have; an
// empty id is allowed (the caller checks that one of them is set).
func checkNoticeID(field, id string, max int) error {
	if id == "" {
		return nil
	}
	if !utf8.ValidString(id) || utf8.RuneCountInString(id) > max {
		return Errorf(KindInvalid, "%s must be at most %d characters of valid UTF-8", field, max)
	}
	for _, r := range id {
		if unicode.IsControl(r) {
			return Errorf(KindInvalid, "%s contains a control character", field)
		}
	}
	return nil
}

// Timeline kinds recorded by the processor.
const (
	lineNotice        = "notice"
	lineLookup        = "lookup"
	lineTransition    = "transition"
	lineIgnored       = "ignored"
	lineError         = "error"
	lineRefund        = "refund"
	lineForgeryCancel = "forgery_cancel"
)

// note appends one line to an order's timeline. The timeline is history,
// not state: a failure to write it is logged and otherwise ignored, so
// that it never turns a confirmed payment into an error.
func (p *Processor) note(ctx context.Context, merchantUID, impUID string, src NoticeSource, kind, format string, args ...any) {
	if merchantUID == "" {
		return
	}
	rec := p.line(merchantUID, impUID, src, kind, format, args...)
	if err := p.Store.RecordNotice(ctx, &rec); err != nil {
		p.logger().Debug("timeline line not recorded", "merchant_uid", merchantUID, "kind", kind, "err", err)
	}
}

// line returns one timeline line without writing it: Confirm gathers its
// lines and stores them in the transaction of its change.
func (p *Processor) line(merchantUID, impUID string, src NoticeSource, kind, format string, args ...any) NoticeRecord {
	return NoticeRecord{
		MerchantUID: merchantUID,
		ImpUID:      impUID,
		Source:      src,
		Kind:        kind,
		Detail:      fmt.Sprintf(format, args...),
		At:          p.now(),
	}
}

// record writes gathered timeline lines that no change carried, in one
// transaction, best-effort like note.
func (p *Processor) record(ctx context.Context, lines []NoticeRecord) {
	if len(lines) == 0 {
		return
	}
	if err := p.Store.Apply(ctx, &Change{Notices: lines}); err != nil {
		p.logger().Debug("timeline lines not recorded", "merchant_uid", lines[0].MerchantUID, "err", err)
	}
}

// receivedLines are the timeline lines for a notice and what PortOne said
// about its payment.
func (p *Processor) receivedLines(n Notice, pay *portone.Payment) []NoticeRecord {
	m := pay.MerchantUID
	detail := fmt.Sprintf("%s notice for imp_uid %q, merchant_uid %q", n.Source, n.ImpUID, n.MerchantUID)
	if n.ErrorMsg != "" || n.ErrorCode != "" {
		detail += fmt.Sprintf(" with error %s %q", n.ErrorCode, n.ErrorMsg)
	}
	lines := make([]NoticeRecord, 2, 4) // room for the decision without copying
	lines[0] = p.line(m, pay.ImpUID, n.Source, lineNotice, "%s", detail)
	lines[1] = p.line(m, pay.ImpUID, n.Source, lineLookup, "PortOne: %s, %s %s %s, cancelled %s, sandbox %t",
		pay.Status, pay.PayMethod, pay.Amount, pay.Currency, pay.CancelAmount, pay.Sandbox)
	return lines
}

// decisionLine is the timeline line for what Confirm decided.
func (p *Processor) decisionLine(src NoticeSource, pay *portone.Payment, d decision) NoticeRecord {
	kind := lineIgnored
	if d.changes() {
		kind = lineTransition
	}
	return p.line(pay.MerchantUID, pay.ImpUID, src, kind, "%s: %s", d.outcome, d.reason)
}
