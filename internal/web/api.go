package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/portone"
)

// Limits of the event feed.
const (
	defaultEventLimit = 100
	maxEventLimit     = 1000
)

// orderRequest is the body of POST /api/orders.
type orderRequest struct {
	MerchantUID string         `json:"merchant_uid"`
	Name        string         `json:"name"`
	Amount      portone.Amount `json:"amount"`
	Currency    string         `json:"currency"`
	SuccessURL  string         `json:"success_url"`
	FailURL     string         `json:"fail_url"`
	API         payresult.API  `json:"api"`
}

// idempotencyKeyHeader is the header by which the app makes a POST safe
// to send again.
const idempotencyKeyHeader = "Idempotency-Key"

// idempotencyKey returns the request's Idempotency-Key, "" when it has
// none. Every POST of the app API hands it to the processor, which keeps
// the first answer under it (see payresult.Processor.Refund), so that the
// app's retry is answered the same and changes nothing.
func idempotencyKey(r *http.Request) (string, error) {
	vs := r.Header.Values(idempotencyKeyHeader)
	switch {
	case len(vs) == 0:
		return "", nil
	case len(vs) > 1:
		return "", payresult.Errorf(payresult.KindInvalid, "%s is given %d times; send it once", idempotencyKeyHeader, len(vs))
	case vs[0] == "":
		return "", payresult.Errorf(payresult.KindInvalid, "%s is empty; send a new key (a random UUID) for each new request", idempotencyKeyHeader)
	}
	return vs[0], nil
}

// createOrder registers an order: 201 when created, 200 with the stored
// order for an identical repeat, 409 for a different order under the same
// merchant_uid. A repeat with the same Idempotency-Key gets the first
// answer.
func (s *Server) createOrder(w http.ResponseWriter, r *http.Request) {
	key, err := idempotencyKey(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req orderRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	o, created, err := s.cfg.Processor.CreateOrder(r.Context(), payresult.NewOrder{
		MerchantUID: req.MerchantUID, Name: req.Name, Amount: req.Amount, Currency: req.Currency,
		SuccessURL: req.SuccessURL, FailURL: req.FailURL, API: req.API, IdempotencyKey: key,
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		w.Header().Set("Location", "/api/orders/"+url.PathEscape(o.MerchantUID))
	}
	writeJSON(w, status, o)
}

// checkMerchantUID refuses a merchant_uid in a path that payresult could
// never have registered (it accepts 1 to 40 of A-Z a-z 0-9 - _ . :), so a
// malformed one is a 400 rather than a 404.
func checkMerchantUID(id string) error {
	if id == "" || len(id) > portone.MaxMerchantUIDLen {
		return payresult.Errorf(payresult.KindInvalid, "merchant_uid must be 1 to %d characters", portone.MaxMerchantUIDLen)
	}
	for _, r := range id {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.:", r)
		if !ok {
			return payresult.Errorf(payresult.KindInvalid, "merchant_uid may contain only A-Z a-z 0-9 - _ . :")
		}
	}
	return nil
}

// orderDetail is the answer of GET /api/orders/{merchant_uid}.
type orderDetail struct {
	Order    *payresult.Order    `json:"order"`
	Attempts []payresult.Attempt `json:"attempts"`
	Events   []payresult.Event   `json:"events"`
	Timeline []payresult.Note    `json:"timeline"`
}

// getOrder returns an order with its payment attempts, events and timeline.
func (s *Server) getOrder(w http.ResponseWriter, r *http.Request) {
	mu := r.PathValue("merchant_uid")
	if err := checkMerchantUID(mu); err != nil {
		s.fail(w, r, err)
		return
	}
	d, err := s.orderDetail(r, mu)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) orderDetail(r *http.Request, mu string) (*orderDetail, error) {
	ctx := r.Context()
	o, err := s.cfg.Store.Order(ctx, mu)
	if err != nil {
		return nil, err
	}
	d := &orderDetail{Order: o, Attempts: []payresult.Attempt{}, Events: []payresult.Event{}, Timeline: []payresult.Note{}}
	if d.Attempts, err = s.cfg.Store.Attempts(ctx, mu); err != nil {
		return nil, err
	}
	if d.Events, err = s.cfg.Store.OrderEvents(ctx, mu); err != nil {
		return nil, err
	}
	if d.Timeline, err = s.cfg.Store.Notes(ctx, mu); err != nil {
		return nil, err
	}
	return d, nil
}

// refundRequest is the body of POST /api/orders/{merchant_uid}/refund.
// Every field is optional: without an amount everything that remains is
// refunded; without a reason payresult sends a default one. The refund_*
// fields, PortOne's own names, are the buyer's bank account, which the
// refund of a virtual-account payment needs.
type refundRequest struct {
	Amount        *portone.Amount `json:"amount"`
	Reason        string          `json:"reason"`
	RefundHolder  string          `json:"refund_holder"`
	RefundBank    string          `json:"refund_bank"`
	RefundAccount string          `json:"refund_account"`
	RefundTel     string          `json:"refund_tel"`
}

// account returns the refund account the request gives, nil if none.
func (r *refundRequest) account() *payresult.RefundAccount {
	if r.RefundHolder == "" && r.RefundBank == "" && r.RefundAccount == "" && r.RefundTel == "" {
		return nil
	}
	return &payresult.RefundAccount{Holder: r.RefundHolder, Bank: r.RefundBank, Number: r.RefundAccount, Tel: r.RefundTel}
}

// refundOrder refunds all or part of a paid order. A repeat with the same
// Idempotency-Key gets the first answer and refunds nothing more.
func (s *Server) refundOrder(w http.ResponseWriter, r *http.Request) {
	mu := r.PathValue("merchant_uid")
	if err := checkMerchantUID(mu); err != nil {
		s.fail(w, r, err)
		return
	}
	key, err := idempotencyKey(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var req refundRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	var amount portone.Amount
	if req.Amount != nil {
		if req.Amount.Sign() <= 0 {
			s.fail(w, r, payresult.Errorf(payresult.KindInvalid, "amount must be more than 0; leave it out to refund everything"))
			return
		}
		amount = *req.Amount
	}
	o, err := s.cfg.Processor.Refund(r.Context(), payresult.RefundRequest{
		MerchantUID: mu, Amount: amount, Reason: req.Reason, Account: req.account(), IdempotencyKey: key,
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, o)
}

// eventPage is the answer of GET /api/events.
type eventPage struct {
	Events []payresult.Event `json:"events"`
	// Next is the cursor to pass as after for the following page; it
	// equals the request's cursor when there were no new events.
	Next string `json:"next"`
}

// listEvents returns the event feed after a cursor, in order.
func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	after, err := intParam(q, "after", 0, 0, 1<<62)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	limit, err := intParam(q, "limit", defaultEventLimit, 1, maxEventLimit)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	events, err := s.cfg.Store.Events(r.Context(), after, int(limit))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	page := eventPage{Events: events, Next: strconv.FormatInt(after, 10)}
	if page.Events == nil {
		page.Events = []payresult.Event{}
	}
	if n := len(events); n > 0 {
		page.Next = strconv.FormatInt(events[n-1].Seq, 10)
	}
	writeJSON(w, http.StatusOK, page)
}

// intParam reads an optional integer query parameter within [min, max].
func intParam(q url.Values, name string, def, min, max int64) (int64, error) {
	if !q.Has(name) {
		return def, nil
	}
	n, err := strconv.ParseInt(q.Get(name), 10, 64)
	if err != nil || n < min || n > max {
		return 0, payresult.Errorf(payresult.KindInvalid, "%s must be a whole number from %d to %d", name, min, max)
	}
	return n, nil
}
