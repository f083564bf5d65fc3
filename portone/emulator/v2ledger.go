package emulator

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/payresult/payresult/portone"
	"github.com/payresult/payresult/portone/portonev2"
)

// v2record is one V2 payment as the sandbox keeps it: the payment of its
// latest attempt (transaction), and what the window and the webhooks need.
type v2record struct {
	p    portonev2.Payment
	wire []byte // p as PortOne writes it; rebuilt on every change
	seq  uint64
	// channel is the channel the latest attempt went through.
	channel V2Channel
	// payMethod is requestPayment's payMethod (CARD, VIRTUAL_ACCOUNT, ...).
	payMethod string
	hook      webhookTarget
	window    v2Window
	// txIDs are every attempt's transactionId, oldest first.
	txIDs []string
	// due is the virtual account's deadline the request asked for.
	due time.Time
	// apiCancels counts cancels made through the API.
	apiCancels int
}

// v2Window is what a window needs to end its flow.
type v2Window struct {
	RedirectURL string `json:"redirect_url,omitempty"`
	Mode        string `json:"mode,omitempty"` // modeRedirect or modePromise
	Mobile      bool   `json:"mobile,omitempty"`
	Done        bool   `json:"done,omitempty"`
}

// modePromise is the V2 flow in which requestPayment's promise resolves.
const modePromise = "promise"

// v2PreRegistration is a pre-registered amount, in minor units.
type v2PreRegistration struct {
	TotalAmount   int64  `json:"totalAmount"`
	TaxFreeAmount *int64 `json:"taxFreeAmount,omitempty"`
	Currency      string `json:"currency,omitempty"`
}

// Kinds of V2 entries in the Storage.
const (
	kindV2Payment     = "v2payment"     // by paymentId
	kindV2PreRegister = "v2preregister" // by paymentId
	kindV2Token       = "v2token"       // by token
	kindV2Idempotency = "v2idempotency" // by Idempotency-Key
)

// v2Ledger is the V2 half of the ledger. The Emulator's mu guards it.
type v2Ledger struct {
	byPaymentID map[string]*v2record
	byTxID      map[string]*v2record
	all         []*v2record // creation order
	preRegs     map[string]v2PreRegistration
	seq         uint64
}

func newV2Ledger() v2Ledger {
	return v2Ledger{byPaymentID: map[string]*v2record{}, byTxID: map[string]*v2record{}, preRegs: map[string]v2PreRegistration{}}
}

func (l *v2Ledger) add(r *v2record) {
	l.seq = max(l.seq, r.seq)
	l.byPaymentID[r.p.ID] = r
	for _, tx := range r.txIDs {
		l.byTxID[tx] = r
	}
	l.all = append(l.all, r)
}

// savedV2Record is a v2record as the Storage keeps it.
type savedV2Record struct {
	Payment    json.RawMessage `json:"payment"`
	Seq        uint64          `json:"seq"`
	Channel    string          `json:"channel"`
	PayMethod  string          `json:"pay_method"`
	HookURLs   []string        `json:"hook_urls,omitempty"`
	Window     v2Window        `json:"window"`
	TxIDs      []string        `json:"tx_ids"`
	Due        time.Time       `json:"due,omitzero"`
	APICancels int             `json:"api_cancels,omitempty"`
}

func encodeV2Record(r *v2record) []byte {
	return mustMarshal(savedV2Record{Payment: r.wire, Seq: r.seq, Channel: r.channel.Key, PayMethod: r.payMethod,
		HookURLs: r.hook.urls, Window: r.window, TxIDs: r.txIDs, Due: r.due, APICancels: r.apiCancels})
}

func (e *Emulator) decodeV2Record(b []byte) (*v2record, error) {
	var s savedV2Record
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, err
	}
	var p portonev2.Payment
	if err := json.Unmarshal(s.Payment, &p); err != nil {
		return nil, err
	}
	p.Raw = nil
	ch, ok := e.cfg.V2.channel(s.Channel)
	if !ok {
		return nil, fmt.Errorf("unknown channel %q", s.Channel)
	}
	r := &v2record{seq: s.Seq, channel: ch, payMethod: s.PayMethod, hook: e.v2HookTarget(s.HookURLs),
		window: s.Window, txIDs: s.TxIDs, due: s.Due, apiCancels: s.APICancels}
	r.setPayment(p)
	return r, nil
}

// setPayment makes p the record's payment, with its wire form.
func (r *v2record) setPayment(p portonev2.Payment) {
	r.p, r.wire = p, mustMarshal(&p)
}

// insertV2 saves and indexes a new record. Callers hold mu.
func (e *Emulator) insertV2(r *v2record) error {
	r.seq = e.ledger.v2.seq + 1
	if err := e.persist("saving V2 payment "+r.p.ID, func(ctx context.Context, s Storage) error {
		return s.Put(ctx, kindV2Payment, r.p.ID, encodeV2Record(r))
	}); err != nil {
		return err
	}
	e.ledger.v2.add(r)
	return nil
}

// updateV2 saves and applies a change to r: its payment becomes p and
// change (if not nil) alters the rest. Nothing changes when the Storage
// fails. Callers hold mu.
func (e *Emulator) updateV2(r *v2record, p portonev2.Payment, change func(*v2record)) error {
	next := *r
	next.txIDs = append([]string(nil), r.txIDs...)
	next.setPayment(p)
	if change != nil {
		change(&next)
	}
	if err := e.persist("saving V2 payment "+p.ID, func(ctx context.Context, s Storage) error {
		return s.Put(ctx, kindV2Payment, p.ID, encodeV2Record(&next))
	}); err != nil {
		return err
	}
	for _, tx := range next.txIDs {
		e.ledger.v2.byTxID[tx] = r
	}
	*r = next
	return nil
}

// loadV2 reads the V2 entries of the Storage into l.
func (e *Emulator) loadV2(ctx context.Context, l *ledger) error {
	var records []*v2record
	err := loadKind(ctx, e.store, kindV2Payment, func(id string, v []byte) error {
		r, err := e.decodeV2Record(v)
		if err == nil && r.p.ID != id {
			err = fmt.Errorf("holds payment %s", r.p.ID)
		}
		records = append(records, r)
		return err
	})
	if err == nil {
		err = loadKind(ctx, e.store, kindV2PreRegister, func(id string, v []byte) error {
			var p v2PreRegistration
			err := json.Unmarshal(v, &p)
			l.v2.preRegs[id] = p
			return err
		})
	}
	if err == nil {
		err = e.loadV2Tokens(ctx, l)
	}
	if err == nil {
		err = e.loadIdempotency(ctx)
	}
	if err != nil {
		return err
	}
	slices.SortFunc(records, func(a, b *v2record) int { return cmpInt(int64(a.seq), int64(b.seq)) })
	for _, r := range records {
		l.v2.add(r)
	}
	return nil
}

// loadV2Tokens reads the V2 tokens still in force.
func (e *Emulator) loadV2Tokens(ctx context.Context, l *ledger) error {
	now := e.now()
	return loadKind(ctx, e.store, kindV2Token, func(id string, v []byte) error {
		if id == v2RefreshInForce {
			l.v2tokens.refresh = string(v)
			return nil
		}
		var t v2Token
		if err := json.Unmarshal(v, &t); err != nil {
			return err
		}
		if now.Before(t.Expires) {
			l.v2tokens.byValue[id] = t
		}
		return nil
	})
}

// readV2Body decodes a V2 request body into v. PortOne's SDKs send JSON
// without a Content-Type (fetch then says text/plain), so the body is
// read as JSON whatever its type. A repeated key, or a string where an
// amount belongs, is refused.
func readV2Body(r *http.Request, v any) error {
	if r.Body == nil {
		return errBody
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil || len(body) > maxBody {
		return errBody
	}
	return decodeV2JSON(body, v)
}

func decodeV2JSON(body []byte, v any) error {
	if err := checkJSON(body); err != nil {
		return err
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("%w: %v", errBody, err)
	}
	return nil
}

// v1Method is the V1 pay method of the record's request, which picks the
// shape of its PG transaction ids.
func (r *v2record) v1Method() portone.PayMethod {
	switch r.payMethod {
	case "VIRTUAL_ACCOUNT":
		return portone.PayMethodVbank
	case "TRANSFER":
		return portone.PayMethodTrans
	}
	return portone.PayMethodCard
}
