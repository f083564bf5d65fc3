package emulator

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/payresult/payresult/portone"
)

// savedRecord is a record as the Storage keeps it: the payment in
// PortOne's wire form and what the flows still need of the request.
type savedRecord struct {
	Payment    json.RawMessage `json:"payment"`
	Seq        uint64          `json:"seq"`
	Updated    portone.Time    `json:"updated"`
	HookURLs   []string        `json:"hook_urls,omitempty"`
	HookType   string          `json:"hook_content_type"`
	Redirect   string          `json:"redirect_url,omitempty"`
	Mode       string          `json:"mode,omitempty"`
	Mobile     bool            `json:"mobile,omitempty"`
	PG         string          `json:"pg,omitempty"` // the PG's provider, "" when the record has no flow
	Done       bool            `json:"done,omitempty"`
	DueAt      time.Time       `json:"due_at,omitzero"`
	APICancels int             `json:"api_cancels,omitempty"`
}

func encodeRecord(r *record) []byte {
	b, err := json.Marshal(savedRecord{
		Payment: r.wire, Seq: r.seq, Updated: r.updated,
		HookURLs: r.hook.urls, HookType: r.hook.contentType,
		Redirect: r.redirect.url, Mode: r.redirect.mode, Mobile: r.redirect.mobile,
		PG: r.redirect.pg.provider, Done: r.redirect.done, DueAt: r.dueAt, APICancels: r.apiCancels,
	})
	if err != nil {
		panic("emulator: encoding a record: " + err.Error())
	}
	return b
}

func decodeRecord(b []byte) (*record, error) {
	var s savedRecord
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, err
	}
	var p portone.Payment
	if err := json.Unmarshal(s.Payment, &p); err != nil {
		return nil, err
	}
	p = clonePayment(p)
	normalize(&p)
	r := &record{
		seq:      s.Seq,
		hook:     webhookTarget{urls: s.HookURLs, contentType: s.HookType},
		redirect: redirectTarget{url: s.Redirect, mode: s.Mode, mobile: s.Mobile, done: s.Done},
		dueAt:    s.DueAt, apiCancels: s.APICancels,
	}
	if s.PG != "" {
		prof, _, ok := lookupPG(s.PG)
		if !ok {
			return nil, fmt.Errorf("unknown PG %q", s.PG)
		}
		r.redirect.pg = prof
	}
	r.setPayment(p)
	r.updated = s.Updated
	return r, nil
}

func decodePrepared(b []byte) (portone.Prepared, error) {
	var a preparedAnswer
	if err := json.Unmarshal(b, &a); err != nil {
		return portone.Prepared{}, err
	}
	return portone.Prepared{MerchantUID: a.MerchantUID, Amount: a.Amount, Currency: a.Currency.String}, nil
}

// Open returns an Emulator whose state lives in store. The payments,
// prepared amounts and token that an earlier run saved there are loaded,
// and every change is saved before it is answered, so that a restart
// changes nothing a client can see. Each start draws its ids from a new
// point of a sequence the store keeps, and a new id is one the store has
// never held, so ids never repeat across runs.
//
// Faults and the webhook log are not kept: a restart clears them.
func Open(ctx context.Context, cfg Config, store Storage) (*Emulator, error) {
	e := New(cfg)
	e.store = store
	if err := e.load(ctx); err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

// load replaces the ledger and the token with what the Storage holds and
// starts a new run of the id sequence.
func (e *Emulator) load(ctx context.Context) error {
	boot, err := e.store.Next(ctx, counterBoot)
	if err != nil {
		return storeErr("starting the id sequence", err)
	}
	l := newLedger()
	var records []*record
	err = loadKind(ctx, e.store, kindPayment, func(id string, v []byte) error {
		r, err := decodeRecord(v)
		if err == nil && r.p.ImpUID != id {
			err = fmt.Errorf("holds payment %s", r.p.ImpUID)
		}
		records = append(records, r)
		return err
	})
	if err == nil {
		err = loadKind(ctx, e.store, kindPrepared, func(id string, v []byte) error {
			p, err := decodePrepared(v)
			l.prepared[id] = p
			return err
		})
	}
	var tok *accessToken
	if err == nil {
		err = loadKind(ctx, e.store, kindToken, func(id string, v []byte) error {
			if id != tokenV1 {
				return nil
			}
			tok, err = decodeToken(v)
			return err
		})
	}
	if err == nil {
		err = e.loadV2(ctx, &l)
	}
	if err != nil {
		return err
	}
	sortBySeq(records)
	for _, r := range records {
		l.add(r)
	}
	e.mu.Lock()
	e.ledger = l
	e.reseed(boot)
	e.mu.Unlock()
	e.token.Store(tok)
	return nil
}

// sortBySeq puts records in creation order.
func sortBySeq(records []*record) {
	slices.SortFunc(records, func(a, b *record) int { return cmpInt(int64(a.seq), int64(b.seq)) })
}
