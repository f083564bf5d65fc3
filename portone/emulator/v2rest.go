package emulator

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/payresult/payresult/portone/portonev2"
)

// v2StoreForbidden answers 403 FORBIDDEN when a request names a store the
// secret does not reach, and reports whether it did.
func (e *Emulator) v2StoreForbidden(w http.ResponseWriter, storeID string) bool {
	if storeID == "" || storeID == e.cfg.V2.StoreID {
		return false
	}
	writeV2Error(w, http.StatusForbidden, "FORBIDDEN", "요청된 상점에 접근할 수 없습니다: "+storeID)
	return true
}

// writeV2 answers a V2 resource with status 200.
func writeV2(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// handleV2Payment serves GET /payments/{paymentId}[?storeId=].
func (e *Emulator) handleV2Payment(w http.ResponseWriter, r *http.Request) {
	if e.v2StoreForbidden(w, r.URL.Query().Get("storeId")) {
		return
	}
	id := r.PathValue("paymentId")
	e.mu.RLock()
	var wire []byte
	if rec, ok := e.ledger.v2.byPaymentID[id]; ok {
		wire = rec.wire
	}
	e.mu.RUnlock()
	if wire == nil {
		writeV2Error(w, http.StatusNotFound, "PAYMENT_NOT_FOUND", "결제 건이 존재하지 않습니다: "+id)
		return
	}
	writeV2(w, wire)
}

// v2ListBody is GET /payments's input (GetPaymentsBody).
type v2ListBody struct {
	Page struct {
		Number *int32 `json:"number"`
		Size   *int32 `json:"size"`
	} `json:"page"`
	Filter struct {
		StoreID       string    `json:"storeId"`
		TimestampType string    `json:"timestampType"`
		From          time.Time `json:"from"`
		Until         time.Time `json:"until"`
		Status        []string  `json:"status"`
		Methods       []string  `json:"methods"`
		PgProvider    []string  `json:"pgProvider"`
		IsTest        *bool     `json:"isTest"`
		SortBy        string    `json:"sortBy"`
		SortOrder     string    `json:"sortOrder"`
		Version       string    `json:"version"`
		Currency      string    `json:"currency"`
	} `json:"filter"`
}

// Paging limits of the sandbox's GET /payments.
const (
	v2DefaultPageSize = 10
	v2MaxPageSize     = 1000
	v2MaxRange        = 90 * 24 * time.Hour
)

// readV2List reads GET /payments's input from the requestBody query
// parameter, as PortOne's SDKs send it, or from the body.
func readV2List(r *http.Request) (v2ListBody, error) {
	var b v2ListBody
	raw := []byte(r.URL.Query().Get("requestBody"))
	if len(raw) == 0 && r.Body != nil {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil || len(body) > maxBody {
			return b, errBody
		}
		raw = body
	}
	if len(strings.TrimSpace(string(raw))) == 0 {
		return b, nil
	}
	return b, decodeV2JSON(raw, &b)
}

// v2StatusFilter maps the list filter's status names (PENDING) to the
// payment's (PAY_PENDING).
func v2StatusFilter(names []string) (map[portonev2.Status]bool, error) {
	out := map[portonev2.Status]bool{}
	for _, n := range names {
		s := portonev2.Status(n)
		if s == portonev2.FilterPending {
			s = portonev2.StatusPayPending
		}
		if !s.Known() || s == portonev2.StatusPayPending && n != string(portonev2.FilterPending) {
			return nil, errors.New("filter.status: " + n + " is not one of READY, PENDING, VIRTUAL_ACCOUNT_ISSUED, PAID, FAILED, PARTIAL_CANCELLED, CANCELLED")
		}
		out[s] = true
	}
	return out, nil
}

// handleV2Payments serves GET /payments: the store's payments matching the
// filter, a page at a time (pages count from 0).
func (e *Emulator) handleV2Payments(w http.ResponseWriter, r *http.Request) {
	in, err := readV2List(r)
	if err != nil {
		writeV2Error(w, http.StatusBadRequest, "INVALID_REQUEST", err.Error())
		return
	}
	f := in.Filter
	if e.v2StoreForbidden(w, f.StoreID) {
		return
	}
	q, err := e.v2Query(in)
	if err != nil {
		writeV2Error(w, http.StatusBadRequest, "INVALID_REQUEST", err.Error())
		return
	}
	e.mu.RLock()
	var match []*v2record
	for _, rec := range e.ledger.v2.all {
		if q.matches(rec) {
			match = append(match, rec)
		}
	}
	q.sort(match)
	start := min(int(q.number)*int(q.size), len(match))
	end := min(start+int(q.size), len(match))
	buf := []byte(`{"items":[`)
	for i, rec := range match[start:end] {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, rec.wire...)
	}
	e.mu.RUnlock()
	buf = append(buf, `],"page":`...)
	buf = append(buf, mustMarshal(portonev2.PageInfo{Number: q.number, Size: q.size, TotalCount: int32(len(match))})...)
	buf = append(buf, '}')
	writeV2(w, buf)
}

// v2Query is a validated GET /payments input.
type v2Query struct {
	number, size     int32
	from, until      time.Time
	byStatusChange   bool // the range bounds statusChangedAt, not requestedAt
	status           map[portonev2.Status]bool
	methods, pgs     []string
	isTest           *bool
	version, cur     string
	sortByChange, up bool
}

func (e *Emulator) v2Query(in v2ListBody) (v2Query, error) {
	f := in.Filter
	q := v2Query{size: v2DefaultPageSize, until: f.Until, from: f.From, isTest: f.IsTest, version: f.Version, cur: f.Currency, pgs: f.PgProvider}
	if in.Page.Number != nil {
		q.number = *in.Page.Number
	}
	if in.Page.Size != nil {
		q.size = *in.Page.Size
	}
	switch {
	case q.number < 0 || q.size <= 0 || q.size > v2MaxPageSize:
		return q, errors.New("page: number must be 0 or more and size between 1 and 1000")
	case !slices.Contains([]string{"", "CREATED_AT", "STATUS_CHANGED_AT"}, f.TimestampType):
		return q, errors.New("filter.timestampType must be CREATED_AT or STATUS_CHANGED_AT")
	case !slices.Contains([]string{"", "REQUESTED_AT", "STATUS_CHANGED_AT"}, f.SortBy):
		return q, errors.New("filter.sortBy must be REQUESTED_AT or STATUS_CHANGED_AT")
	case !slices.Contains([]string{"", "DESC", "ASC"}, f.SortOrder):
		return q, errors.New("filter.sortOrder must be DESC or ASC")
	}
	if q.until.IsZero() {
		q.until = e.now()
	}
	if q.from.IsZero() {
		q.from = q.until.Add(-v2MaxRange)
	}
	if q.from.After(q.until) {
		return q, errors.New("filter: from is after until")
	}
	var err error
	if q.status, err = v2StatusFilter(f.Status); err != nil {
		return q, err
	}
	for _, m := range f.Methods {
		t, ok := v2PayMethods[m]
		if !ok {
			return q, errors.New("filter.methods: " + m + " is not a method the sandbox knows (CARD, VIRTUAL_ACCOUNT, TRANSFER, MOBILE, EASY_PAY)")
		}
		q.methods = append(q.methods, t)
	}
	q.byStatusChange = f.TimestampType == "STATUS_CHANGED_AT"
	q.sortByChange, q.up = f.SortBy == "STATUS_CHANGED_AT", f.SortOrder == "ASC"
	return q, nil
}

func (q v2Query) matches(rec *v2record) bool {
	p := &rec.p
	t := p.RequestedAt
	if q.byStatusChange {
		t = p.StatusChangedAt
	}
	switch {
	case t.Before(q.from) || t.After(q.until):
		return false
	case len(q.status) > 0 && !q.status[p.Status]:
		return false
	case len(q.methods) > 0 && (p.Method == nil || !slices.Contains(q.methods, p.Method.Type)):
		return false
	case len(q.pgs) > 0 && !slices.Contains(q.pgs, rec.channel.PgProvider):
		return false
	case q.isTest != nil && *q.isTest != p.IsTest():
		return false
	case q.version != "" && q.version != p.Version:
		return false
	case q.cur != "" && strings.TrimPrefix(q.cur, "CURRENCY_") != p.Currency:
		return false
	}
	return true
}

// sort orders recs newest first (or oldest, ASC), ties by creation.
func (q v2Query) sort(recs []*v2record) {
	slices.SortStableFunc(recs, func(a, b *v2record) int {
		ta, tb := a.p.RequestedAt, b.p.RequestedAt
		if q.sortByChange {
			ta, tb = a.p.StatusChangedAt, b.p.StatusChangedAt
		}
		c := ta.Compare(tb)
		if c == 0 {
			c = cmpInt(int64(a.seq), int64(b.seq))
		}
		if !q.up {
			c = -c
		}
		return c
	})
}

// handleV2PreRegister serves POST /payments/{paymentId}/pre-register. A
// registration may be repeated until the payment is paid; the last holds.
func (e *Emulator) handleV2PreRegister(w http.ResponseWriter, r *http.Request) {
	var in struct {
		StoreID       string      `json:"storeId"`
		TotalAmount   json.Number `json:"totalAmount"`
		TaxFreeAmount json.Number `json:"taxFreeAmount"`
		Currency      string      `json:"currency"`
	}
	if err := readV2Body(r, &in); err != nil {
		writeV2Error(w, http.StatusBadRequest, "INVALID_REQUEST", err.Error())
		return
	}
	if e.v2StoreForbidden(w, in.StoreID) {
		return
	}
	pre, err := v2PreRegistrationOf(in.TotalAmount, in.TaxFreeAmount, in.Currency)
	if err != nil {
		writeV2Error(w, http.StatusBadRequest, "INVALID_REQUEST", err.Error())
		return
	}
	id := r.PathValue("paymentId")
	e.mu.Lock()
	rec := e.ledger.v2.byPaymentID[id]
	paid := rec != nil && rec.p.Status != portonev2.StatusReady && rec.p.Status != portonev2.StatusFailed
	if !paid {
		err = e.persist("saving a pre-registration", func(ctx context.Context, s Storage) error {
			return s.Put(ctx, kindV2PreRegister, id, mustMarshal(pre))
		})
		if err == nil {
			e.ledger.v2.preRegs[id] = pre
		}
	}
	e.mu.Unlock()
	switch {
	case paid:
		writeV2Error(w, http.StatusConflict, "ALREADY_PAID", "이미 결제가 완료된 결제 건입니다: "+id)
	case err != nil:
		writeV2Error(w, http.StatusInternalServerError, "INTERNAL_SERVER_ERROR", err.Error())
	default:
		writeV2(w, []byte("{}"))
	}
}

// PrepareV2 pre-registers the amount of paymentID, in minor units of
// currency, as POST /payments/{paymentId}/pre-register would.
func (e *Emulator) PrepareV2(paymentID string, totalAmount int64, currency string) error {
	pre, err := v2PreRegistrationOf(json.Number(strconv.FormatInt(totalAmount, 10)), "", currency)
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.persist("saving a pre-registration", func(ctx context.Context, s Storage) error {
		return s.Put(ctx, kindV2PreRegister, paymentID, mustMarshal(pre))
	}); err != nil {
		return err
	}
	e.ledger.v2.preRegs[paymentID] = pre
	return nil
}

// v2PreRegistrationOf checks a pre-registration's amounts: whole minor
// units of a currency ISO 4217 lists.
func v2PreRegistrationOf(total, taxFree json.Number, currency string) (v2PreRegistration, error) {
	var pre v2PreRegistration
	var err error
	if total != "" {
		if pre.TotalAmount, err = minorUnits("totalAmount", total); err != nil {
			return pre, err
		}
		if pre.TotalAmount <= 0 {
			return pre, errors.New("totalAmount must be positive")
		}
	}
	if taxFree != "" {
		v, err := minorUnits("taxFreeAmount", taxFree)
		if err != nil {
			return pre, err
		}
		if v < 0 || v > pre.TotalAmount {
			return pre, errors.New("taxFreeAmount must be between 0 and totalAmount")
		}
		pre.TaxFreeAmount = &v
	}
	if currency != "" {
		c, ok := v2Currency(currency)
		if !ok {
			return pre, errors.New("currency: " + currency + " is not an ISO 4217 currency such as KRW or USD")
		}
		pre.Currency = c
	}
	return pre, nil
}

// handleV2Cancel serves POST /payments/{paymentId}/cancel.
func (e *Emulator) handleV2Cancel(w http.ResponseWriter, r *http.Request) {
	var in struct {
		StoreID                  string                   `json:"storeId"`
		Amount                   json.Number              `json:"amount"`
		TaxFreeAmount            json.Number              `json:"taxFreeAmount"`
		VatAmount                json.Number              `json:"vatAmount"`
		Reason                   string                   `json:"reason"`
		CurrentCancellableAmount json.Number              `json:"currentCancellableAmount"`
		RefundAccount            *portonev2.RefundAccount `json:"refundAccount"`
		SkipWebhook              bool                     `json:"skipWebhook"`
	}
	if err := readV2Body(r, &in); err != nil {
		writeV2Error(w, http.StatusBadRequest, "INVALID_REQUEST", err.Error())
		return
	}
	if e.v2StoreForbidden(w, in.StoreID) {
		return
	}
	req := V2CancelRequest{Reason: in.Reason, RefundAccount: in.RefundAccount, SkipWebhook: in.SkipWebhook}
	for _, f := range []struct {
		name string
		n    json.Number
		dst  **int64
	}{{"amount", in.Amount, &req.Amount}, {"taxFreeAmount", in.TaxFreeAmount, &req.TaxFreeAmount},
		{"currentCancellableAmount", in.CurrentCancellableAmount, &req.CurrentCancellableAmount}} {
		if f.n == "" {
			continue
		}
		v, err := minorUnits(f.name, f.n)
		if err != nil {
			writeV2Error(w, http.StatusBadRequest, "INVALID_REQUEST", err.Error())
			return
		}
		*f.dst = &v
	}
	c, err := e.CancelV2(r.PathValue("paymentId"), req)
	var ce *V2CancelError
	switch {
	case errors.As(err, &ce):
		writeV2Error(w, ce.Status, ce.Type, ce.Message)
	case err != nil:
		writeV2Error(w, http.StatusInternalServerError, "INTERNAL_SERVER_ERROR", err.Error())
	default:
		writeV2(w, mustMarshal(map[string]any{"cancellation": c}))
	}
}
