package emulator

import (
	"fmt"
	"time"

	"github.com/payresult/payresult/portone"
)

// kst is Korea Standard Time, in which PortOne reads deposit deadlines.
var kst = time.FixedZone("KST", 9*60*60)

// applyOutcome moves p from ready to what outcome makes of it and
// returns the flow's result without the redirect. Callers hold mu.
func (e *Emulator) applyOutcome(r *record, p *portone.Payment, outcome Outcome) *Result {
	prof := r.redirect.pg
	now := e.nowUnix()
	res := &Result{}
	switch outcome {
	case OutcomePaid:
		e.approve(p, prof, now)
		res.Success = true
	case OutcomeVbankIssued:
		e.issueVbank(p, prof, r.dueAt, now)
		res.Success = true
	case OutcomeFailed:
		p.Status, p.FailedAt = portone.StatusFailed, now
		p.FailReason = portone.NewNullString(prof.declineMsg)
		res.ErrorCode, res.ErrorMsg = prof.declineCode, prof.declineMsg
	case OutcomeCancelledByUser:
		if prof.userCancelFails {
			p.Status, p.FailedAt = portone.StatusFailed, now
			p.FailReason = portone.NewNullString(portone.MsgPayUserCancelled)
		}
		res.ErrorCode, res.ErrorMsg = prof.cancelCode, portone.MsgPayUserCancelled
	case OutcomeAbandoned:
		// The record stays ready for good, as PortOne's console shows.
	}
	return res
}

// approve fills what an approval gives a payment. Callers hold mu.
func (e *Emulator) approve(p *portone.Payment, prof pgProfile, now portone.Time) {
	p.Status, p.PaidAt = portone.StatusPaid, now
	tid := e.pgTID(prof, p.PayMethod)
	p.PGTID = portone.NewNullString(tid)
	p.ReceiptURL = portone.NewNullString(prof.receipt + tid)
	switch p.PayMethod {
	case portone.PayMethodCard:
		p.ApplyNum = portone.NewNullString(e.digits(8))
		p.CardCode, p.CardName = portone.NewNullString("381"), portone.NewNullString("KB국민카드")
		p.CardNumber = portone.NewNullString("536181******" + e.digits(4))
		zero := 0
		p.CardType = &zero
	case portone.PayMethodTrans:
		p.BankCode, p.BankName = portone.NewNullString("088"), portone.NewNullString("신한은행")
	case portone.PayMethodVbank:
		// Paid straight away: the account was issued and filled at once.
		if !p.VbankNum.Valid {
			e.issueVbank(p, prof, time.Time{}, now)
			p.Status = portone.StatusPaid
		}
	}
}

// issueVbank fills the virtual account of p. Callers hold mu.
func (e *Emulator) issueVbank(p *portone.Payment, prof pgProfile, due time.Time, now portone.Time) {
	if due.IsZero() {
		d := now.Time().In(kst).AddDate(0, 0, 3)
		due = time.Date(d.Year(), d.Month(), d.Day(), 23, 59, 59, 0, kst)
	}
	holder := prof.vbankHolder
	if holder == "" {
		holder = "(주)페이리절트"
	}
	p.PayMethod = portone.PayMethodVbank
	p.Status = portone.StatusReady
	p.VbankCode, p.VbankName = portone.NewNullString("004"), portone.NewNullString("KB국민은행")
	p.VbankNum = portone.NewNullString(e.digits(14))
	p.VbankHolder = portone.NewNullString(holder)
	p.VbankDate, p.VbankIssuedAt = portone.TimeOf(due), now
	p.PGTID = portone.NewNullString(e.pgTID(prof, portone.PayMethodVbank))
}

// pgTID makes a transaction id shaped like the PG's. Callers hold mu.
func (e *Emulator) pgTID(prof pgProfile, method portone.PayMethod) string {
	switch prof.provider {
	case "html5_inicis":
		kind := map[portone.PayMethod]string{portone.PayMethodVbank: "VBNK", portone.PayMethodTrans: "ACCT"}[method]
		if kind == "" {
			kind = "CARD"
		}
		return "Stdpay" + kind + "INIpayTest" + e.now().In(kst).Format("20060102150405") + e.digits(6)
	case "kakaopay":
		return "T" + e.alnum(19)
	case "tosspayments":
		return "tviva" + e.digits(14) + e.alnum(5)
	}
	return e.digits(14)
}

// Deposit is the buyer paying into the virtual account of impUID: the
// payment becomes paid and a paid webhook is sent, as when the PG tells
// PortOne of a deposit.
func (e *Emulator) Deposit(impUID string) (*portone.Payment, error) {
	e.mu.Lock()
	r, ok := e.ledger.byImpUID[impUID]
	if !ok {
		e.mu.Unlock()
		return nil, fmt.Errorf("emulator: no payment %s", impUID)
	}
	if !r.p.IsVbankIssued() {
		e.mu.Unlock()
		return nil, fmt.Errorf("emulator: payment %s is %s, not a virtual account waiting for its deposit", impUID, r.p.Status)
	}
	p := clonePayment(r.p)
	p.Status, p.PaidAt = portone.StatusPaid, e.nowUnix()
	err := e.update(r, p, nil)
	hook := r.hook
	e.mu.Unlock()
	if err != nil {
		return nil, err
	}
	e.hooks.send(hook, notice{ImpUID: p.ImpUID, MerchantUID: p.MerchantUID, Status: portone.StatusPaid}, nil)
	return &p, nil
}

// parseVbankDue reads request_pay's vbank_due in any of the formats
// PortOne accepts, in KST; a date alone means 23:59:59 that day. Ten
// digits are UNIX seconds (KSNET).
func parseVbankDue(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if len(s) == 10 && s[4] != '-' {
		var n int64
		if _, err := fmt.Sscan(s, &n); err == nil {
			return time.Unix(n, 0), nil
		}
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "20060102150405", "200601021504"} {
		if t, err := time.ParseInLocation(layout, s, kst); err == nil {
			return t, nil
		}
	}
	for _, layout := range []string{"2006-01-02", "20060102"} {
		if t, err := time.ParseInLocation(layout, s, kst); err == nil {
			return t.Add(24*time.Hour - time.Second), nil
		}
	}
	return time.Time{}, fmt.Errorf("vbank_due %q is not YYYY-MM-DD, YYYYMMDD, YYYY-MM-DD HH:mm:ss, YYYYMMDDHHmmss or UNIX seconds", s)
}
