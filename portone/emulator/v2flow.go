package emulator

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/payresult/payresult/portone/portonev2"
)

// OutcomePayPending is a V2 outcome: the approval is pending, as with
// PayPal, until the control API's deposit settles it.
const OutcomePayPending Outcome = "pay_pending"

// validV2 reports whether o is an outcome of the V2 window.
func (o Outcome) validV2() bool { return o.Valid() || o == OutcomePayPending }

// V2Result is how a V2 payment flow ended.
type V2Result struct {
	// Payment is the payment as the ledger holds it.
	Payment *portonev2.Payment
	// RedirectURL is where the browser is sent in the redirect flow; ""
	// when abandoned or when the request had no redirectUrl.
	RedirectURL string
	// Response is what requestPayment's promise resolves with
	// (PaymentResponse): transactionType, txId, paymentId, and code,
	// message, pgCode, pgMessage when the payment did not complete.
	Response map[string]string
	// Webhooks is closed when this flow's webhook deliveries have ended.
	Webhooks <-chan struct{}

	release func()
}

// Release lets a webhook held by the redirect_first order go.
func (r *V2Result) Release() {
	if r.release != nil {
		r.release()
	}
}

// ErrV2Refused is what PayV2's error wraps when the request is refused
// before any window opens; errors.As finds its code and message.
var ErrV2Refused = errors.New("emulator: V2 payment request refused")

// PayV2 runs a whole V2 payment flow without a browser: the window opens
// (a READY attempt), the buyer picks outcome, and the webhooks and the
// redirect happen as PortOne V2 does them.
func (e *Emulator) PayV2(req V2PaymentRequest, outcome Outcome) (*V2Result, error) {
	if !outcome.validV2() {
		return nil, fmt.Errorf("emulator: unknown outcome %q", outcome)
	}
	txID, refusal, err := e.openV2(req, modeRedirect)
	if err != nil {
		return nil, err
	}
	if refusal != nil {
		return nil, fmt.Errorf("%w: %w", ErrV2Refused, refusal)
	}
	return e.finishV2(txID, outcome)
}

// openV2 validates req as PortOne does before a window opens and records
// a READY attempt. It returns the attempt's transactionId, or the refusal.
func (e *Emulator) openV2(req V2PaymentRequest, mode string) (string, *V2Refusal, error) {
	ch, refusal := e.validateV2(&req)
	if refusal != nil {
		return "", refusal, nil
	}
	e.mu.Lock()
	txID, rec, refusal, err := e.openV2Locked(req, ch, mode)
	e.mu.Unlock()
	if refusal != nil || err != nil {
		return "", refusal, err
	}
	e.sendV2(rec, "Transaction.Ready", "", nil)
	return txID, nil, nil
}

// openV2Locked records the READY attempt of a valid request. Callers hold
// mu.
func (e *Emulator) openV2Locked(req V2PaymentRequest, ch V2Channel, mode string) (string, *v2record, *V2Refusal, error) {
	rec := e.ledger.v2.byPaymentID[req.PaymentID]
	if rec != nil && rec.p.Status != portonev2.StatusReady && rec.p.Status != portonev2.StatusFailed {
		return "", nil, &V2Refusal{Code: "PaymentAlreadyPaid", Message: "이미 결제가 완료된 paymentId입니다: " + req.PaymentID}, nil
	}
	if pre, ok := e.ledger.v2.preRegs[req.PaymentID]; ok &&
		(pre.TotalAmount != req.TotalAmount || (pre.Currency != "" && pre.Currency != req.Currency) ||
			(pre.TaxFreeAmount != nil && *pre.TaxFreeAmount != req.TaxFreeAmount)) {
		return "", nil, &V2Refusal{Code: "AmountNotEqualToPredefined", Message: "사전 등록된 결제 정보와 요청된 결제 정보가 일치하지 않습니다."}, nil
	}
	txID := e.uuid()
	p := e.readyV2Payment(req, ch, txID)
	win := v2Window{RedirectURL: req.RedirectURL, Mode: mode, Mobile: req.Mobile}
	var err error
	if rec == nil {
		rec = &v2record{channel: ch, payMethod: req.PayMethod, hook: e.v2HookTarget(req.NoticeURLs), window: win,
			txIDs: []string{txID}, due: req.VirtualAccountDue}
		rec.setPayment(p)
		err = e.insertV2(rec)
	} else {
		err = e.updateV2(rec, p, func(r *v2record) {
			r.channel, r.payMethod, r.window, r.due = ch, req.PayMethod, win, req.VirtualAccountDue
			r.hook = e.v2HookTarget(req.NoticeURLs)
			r.txIDs = append(r.txIDs, txID)
		})
	}
	if err != nil {
		return "", nil, nil, err
	}
	return txID, rec, nil, nil
}

// readyV2Payment is the attempt PortOne V2 creates when a window opens.
// Callers hold mu.
func (e *Emulator) readyV2Payment(req V2PaymentRequest, ch V2Channel, txID string) portonev2.Payment {
	now := e.v2Now()
	platform := "PC"
	if req.Mobile {
		platform = "MOBILE"
	}
	vat := (req.TotalAmount - req.TaxFreeAmount) / 11
	return portonev2.Payment{
		Status: portonev2.StatusReady, ID: req.PaymentID, TransactionID: txID,
		MerchantID: e.cfg.V2.MerchantID, StoreID: e.cfg.V2.StoreID, Channel: v2Channel(ch), Version: "V2",
		RequestedAt: now, UpdatedAt: now, StatusChangedAt: now, OrderName: req.OrderName,
		Amount: portonev2.PaymentAmount{Total: req.TotalAmount, TaxFree: req.TaxFreeAmount, Vat: vat,
			Supply: req.TotalAmount - req.TaxFreeAmount - vat},
		Currency: req.Currency, Customer: req.Customer,
		Origin:     &portonev2.Origin{PlatformType: platform, UserAgent: req.UserAgent, URL: req.PageURL, IPAddress: "127.0.0.1"},
		CustomData: req.CustomData, Products: req.Products, ProductCount: int32(len(req.Products)),
	}
}

func v2Channel(ch V2Channel) *portonev2.Channel {
	return &portonev2.Channel{Type: ch.Type, ID: ch.ID, Key: ch.Key, Name: ch.Name, PgProvider: ch.PgProvider, PgMerchantID: ch.PgMerchantID}
}

// errV2NotInWindow is finishV2's answer for an attempt whose window is
// not open.
var errV2NotInWindow = errors.New("emulator: no V2 payment waiting in a window")

// finishV2 applies outcome to the READY attempt txID, then sends its
// webhook and builds its redirect and its promise's answer.
func (e *Emulator) finishV2(txID string, outcome Outcome) (*V2Result, error) {
	e.mu.Lock()
	rec, ok := e.ledger.v2.byTxID[txID]
	if !ok || rec.p.TransactionID != txID || rec.window.Done || rec.p.Status != portonev2.StatusReady {
		e.mu.Unlock()
		return nil, fmt.Errorf("%w: %s", errV2NotInWindow, txID)
	}
	p := rec.p
	resp, hookType := e.applyV2Outcome(rec, &p, outcome)
	err := e.updateV2(rec, p, func(r *v2record) { r.window.Done = true })
	win := rec.window
	e.mu.Unlock()
	if err != nil {
		return nil, err
	}
	res := &V2Result{Payment: &p, Response: resp, Webhooks: closedChan()}
	if outcome != OutcomeAbandoned {
		res.RedirectURL = v2RedirectURL(win.RedirectURL, resp)
	}
	if hookType != "" {
		e.orderV2(res, rec, hookType)
	}
	return res, nil
}

// orderV2 sends a flow's webhook in the order the faults ask for.
func (e *Emulator) orderV2(res *V2Result, rec *v2record, hookType string) {
	switch e.Faults().WebhookOrder {
	case OrderWebhookFirst:
		res.Webhooks = e.sendV2(rec, hookType, "", nil)
		<-res.Webhooks
	case OrderRedirectFirst:
		gate := make(chan struct{})
		var once sync.Once
		res.release = func() { once.Do(func() { close(gate) }) }
		res.Webhooks = e.sendV2(rec, hookType, "", gate)
	default:
		res.Webhooks = e.sendV2(rec, hookType, "", nil)
	}
}

// applyV2Outcome moves p from READY to what outcome makes of it. It
// returns the promise's answer and the webhook to send. Callers hold mu.
func (e *Emulator) applyV2Outcome(rec *v2record, p *portonev2.Payment, outcome Outcome) (map[string]string, string) {
	prof, _, _ := lookupPG(rec.channel.PG)
	now := e.v2Now()
	resp := map[string]string{"transactionType": "PAYMENT", "txId": p.TransactionID, "paymentId": p.ID}
	p.UpdatedAt = now
	switch outcome {
	case OutcomePaid:
		e.approveV2(rec, p, prof, now)
		return resp, "Transaction.Paid"
	case OutcomeVbankIssued:
		e.issueV2VirtualAccount(rec, p, prof, now)
		return resp, "Transaction.VirtualAccountIssued"
	case OutcomePayPending:
		p.Status, p.StatusChangedAt, p.PgTxID = portonev2.StatusPayPending, now, e.pgTID(prof, rec.v1Method())
		p.Method = e.v2Method(rec, prof)
		return resp, "Transaction.PayPending"
	case OutcomeFailed:
		failV2(p, now, prof.declineMsg, prof.declineCode, prof.declineMsg)
	case OutcomeCancelledByUser:
		failV2(p, now, v2UserCancelMessage, "", "")
	case OutcomeAbandoned:
		// The window was left: the attempt stays READY, and nothing
		// reaches the shop.
		return nil, ""
	}
	resp["code"], resp["message"] = "FAILURE_TYPE_PG", p.Failure.Reason
	if p.Failure.PgCode != "" {
		resp["pgCode"], resp["pgMessage"] = p.Failure.PgCode, p.Failure.PgMessage
	}
	return resp, "Transaction.Failed"
}

// v2UserCancelMessage is the message of a buyer's cancel in V2's window.
const v2UserCancelMessage = "사용자가 결제를 취소하였습니다."

func failV2(p *portonev2.Payment, now time.Time, reason, pgCode, pgMessage string) {
	p.Status, p.StatusChangedAt, p.FailedAt = portonev2.StatusFailed, now, now
	p.Failure = &portonev2.Failure{Reason: reason, PgCode: pgCode, PgMessage: pgMessage}
}

// approveV2 fills what an approval gives a payment. Callers hold mu.
func (e *Emulator) approveV2(rec *v2record, p *portonev2.Payment, prof pgProfile, now time.Time) {
	p.Status, p.StatusChangedAt, p.PaidAt = portonev2.StatusPaid, now, now
	if p.Method == nil {
		p.Method = e.v2Method(rec, prof)
	}
	if p.PgTxID == "" {
		p.PgTxID = e.pgTID(prof, rec.v1Method())
	}
	p.ReceiptURL = prof.receipt + p.PgTxID
	p.Amount.Paid = p.Amount.Total
	p.Disputes = []portonev2.Dispute{}
}

// issueV2VirtualAccount issues the virtual account of p. Callers hold mu.
func (e *Emulator) issueV2VirtualAccount(rec *v2record, p *portonev2.Payment, prof pgProfile, now time.Time) {
	due := rec.due
	if due.IsZero() {
		d := now.In(kst).AddDate(0, 0, 3)
		due = time.Date(d.Year(), d.Month(), d.Day(), 23, 59, 59, 0, kst)
	}
	holder := prof.vbankHolder
	if holder == "" {
		holder = "(주)페이리절트"
	}
	p.Status, p.StatusChangedAt, p.PgTxID = portonev2.StatusVirtualAccountIssued, now, e.pgTID(prof, rec.v1Method())
	p.Method = &portonev2.PaymentMethod{Type: portonev2.MethodVirtualAccount, Bank: "KOOKMIN", AccountNumber: e.digits(14),
		AccountType: "NORMAL", RemitteeName: holder, ExpiredAt: due.UTC(), IssuedAt: now}
}

// v2Method is what an approval reports of the buyer's method. Callers
// hold mu.
func (e *Emulator) v2Method(rec *v2record, prof pgProfile) *portonev2.PaymentMethod {
	switch rec.payMethod {
	case "VIRTUAL_ACCOUNT":
		return &portonev2.PaymentMethod{Type: portonev2.MethodVirtualAccount, Bank: "KOOKMIN", AccountNumber: e.digits(14),
			AccountType: "NORMAL", RemitteeName: prof.vbankHolder}
	case "TRANSFER":
		return &portonev2.PaymentMethod{Type: portonev2.MethodTransfer, Bank: "SHINHAN"}
	case "MOBILE":
		return &portonev2.PaymentMethod{Type: portonev2.MethodMobile, PhoneNumber: rec.p.Customer.PhoneNumber}
	case "EASY_PAY":
		return &portonev2.PaymentMethod{Type: portonev2.MethodEasyPay, Provider: "KAKAOPAY"}
	}
	return &portonev2.PaymentMethod{Type: portonev2.MethodCard, ApprovalNumber: e.digits(8),
		Card: &portonev2.Card{Publisher: "KOOKMIN", Issuer: "KOOKMIN", Brand: "LOCAL", Type: "CREDIT", OwnerType: "PERSONAL",
			Bin: "536181", Name: "KB국민카드", Number: "536181******" + e.digits(4)},
		Installment: &portonev2.Installment{Month: 0, IsInterestFree: false}}
}

// v2RedirectURL appends the answer to redirectUrl as PortOne V2 does:
// paymentId, transactionType and txId, then code, message, pgCode and
// pgMessage for a payment that did not complete.
func v2RedirectURL(base string, resp map[string]string) string {
	var pairs [][2]string
	for _, k := range []string{"paymentId", "transactionType", "txId", "code", "message", "pgCode", "pgMessage"} {
		if v, ok := resp[k]; ok {
			pairs = append(pairs, [2]string{k, v})
		}
	}
	return appendQuery(base, pairs)
}

// DepositV2 settles paymentID: the buyer pays into its virtual account
// (VIRTUAL_ACCOUNT_ISSUED), or the pending approval goes through
// (PAY_PENDING). The payment becomes PAID and Transaction.Paid is sent.
func (e *Emulator) DepositV2(paymentID string) (*portonev2.Payment, error) {
	e.mu.Lock()
	rec, ok := e.ledger.v2.byPaymentID[paymentID]
	if !ok {
		e.mu.Unlock()
		return nil, fmt.Errorf("emulator: no V2 payment %s", paymentID)
	}
	if rec.p.Status != portonev2.StatusVirtualAccountIssued && rec.p.Status != portonev2.StatusPayPending {
		e.mu.Unlock()
		return nil, fmt.Errorf("emulator: V2 payment %s is %s, not waiting for a deposit or an approval", paymentID, rec.p.Status)
	}
	p := rec.p
	prof, _, _ := lookupPG(rec.channel.PG)
	p.UpdatedAt = e.v2Now()
	e.approveV2(rec, &p, prof, p.UpdatedAt)
	err := e.updateV2(rec, p, nil)
	e.mu.Unlock()
	if err != nil {
		return nil, err
	}
	e.sendV2(rec, "Transaction.Paid", "", nil)
	return &p, nil
}

// v2Now is the clock as V2 writes its times: UTC, to the millisecond.
func (e *Emulator) v2Now() time.Time { return e.now().UTC().Truncate(time.Millisecond) }

// uuid returns a random UUID (version 4), PortOne's shape of
// transactionId and cancellation ids. Callers hold mu.
func (e *Emulator) uuid() string {
	var b [16]byte
	for i := range b {
		b[i] = byte(e.rng.UintN(256))
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
