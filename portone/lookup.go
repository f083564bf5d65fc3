package portone

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// ListQuery pages and filters a payment list. Zero fields are left out,
// so PortOne applies its defaults: page 1, 20 per page, sorting -started,
// and for PaymentsByStatus the 90 days up to now.
type ListQuery struct {
	Page    int // from 1
	Limit   int // at most MaxPageLimit
	Sorting Sorting
	// From and To bound the time of each payment's final status (both
	// inclusive); PaymentsByStatus only. At most 90 days apart.
	From, To time.Time
}

func (q ListQuery) values(withRange bool) (url.Values, error) {
	v := url.Values{}
	if q.Page < 0 {
		return nil, &InputError{Field: "page", Reason: "negative"}
	}
	if q.Limit < 0 || q.Limit > MaxPageLimit {
		return nil, &InputError{Field: "limit", Reason: fmt.Sprintf("%d is not between 1 and %d", q.Limit, MaxPageLimit)}
	}
	if err := checkSorting(q.Sorting); err != nil {
		return nil, err
	}
	if q.Page > 0 {
		v.Set("page", strconv.Itoa(q.Page))
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.Sorting != "" {
		v.Set("sorting", string(q.Sorting))
	}
	if !withRange {
		if !q.From.IsZero() || !q.To.IsZero() {
			return nil, &InputError{Field: "from", Reason: "a time range only applies to PaymentsByStatus"}
		}
		return v, nil
	}
	if !q.From.IsZero() && !q.To.IsZero() {
		if q.From.After(q.To) {
			return nil, &InputError{Field: "from", Reason: "after to"}
		}
		if q.To.Sub(q.From) > MaxStatusRange {
			return nil, &InputError{Field: "from", Reason: "more than 90 days before to"}
		}
	}
	if !q.From.IsZero() {
		v.Set("from", strconv.FormatInt(q.From.Unix(), 10))
	}
	if !q.To.IsZero() {
		v.Set("to", strconv.FormatInt(q.To.Unix(), 10))
	}
	return v, nil
}

// Payment fetches one payment: GET /payments/{imp_uid}. Payments made on
// a test channel are only found with includeSandbox. A missing payment is
// an *Error for which IsNotFound is true.
func (c *Client) Payment(ctx context.Context, impUID string, includeSandbox bool) (*Payment, error) {
	if err := checkImpUID(impUID); err != nil {
		return nil, err
	}
	r := &call{method: "GET", path: "/payments/" + url.PathEscape(impUID), auth: true, retry: retrySafe}
	if includeSandbox {
		r.query = url.Values{"include_sandbox": {"true"}}
	}
	return onePayment(ctx, c, r)
}

func onePayment(ctx context.Context, c *Client, r *call) (*Payment, error) {
	p, err := do[*Payment](ctx, c, r)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, fmt.Errorf("portone: %s: success without a payment", r.endpoint())
	}
	return p, nil
}

// Payments fetches up to MaxBatchIDs payments at once:
// GET /payments?imp_uid[]=…&merchant_uid[]=…. The order of the result is
// PortOne's, not the request's.
//
// When PortOne finds only some (HTTP 207), Payments returns the ones found
// and a *PartialError listing the requested ids that were not returned.
// When it finds none, the error is an *Error for which IsNotFound is true.
func (c *Client) Payments(ctx context.Context, impUIDs, merchantUIDs []string) ([]Payment, error) {
	if len(impUIDs)+len(merchantUIDs) == 0 {
		return nil, &InputError{Field: "imp_uid[]", Reason: "no imp_uid or merchant_uid given"}
	}
	if n := len(impUIDs) + len(merchantUIDs); n > MaxBatchIDs {
		return nil, &InputError{Field: "imp_uid[]", Reason: fmt.Sprintf("%d ids, more than %d", n, MaxBatchIDs)}
	}
	q := url.Values{}
	for _, id := range impUIDs {
		if err := checkImpUID(id); err != nil {
			return nil, err
		}
		q.Add("imp_uid[]", id)
	}
	for _, id := range merchantUIDs {
		if err := checkMerchantUID(id); err != nil {
			return nil, err
		}
		q.Add("merchant_uid[]", id)
	}
	r := &call{method: "GET", path: "/payments", query: q, auth: true, retry: retrySafe}
	resp, err := c.send(ctx, r)
	if err != nil {
		return nil, err
	}
	var list []Payment
	if err := decode(r, resp, &list, true); err != nil {
		return nil, err
	}
	// The diff, not the status, decides: a 207 in which every requested id
	// came back has nothing to report.
	if missing := missingIDs(list, impUIDs, merchantUIDs); missing != nil {
		return list, missing
	}
	return list, nil
}

// missingIDs lists the requested ids absent from list, or nil.
func missingIDs(list []Payment, impUIDs, merchantUIDs []string) *PartialError {
	gotImp := make(map[string]bool, len(list))
	gotMerchant := make(map[string]bool, len(list))
	for i := range list {
		gotImp[list[i].ImpUID] = true
		gotMerchant[list[i].MerchantUID] = true
	}
	var pe PartialError
	for _, id := range impUIDs {
		if !gotImp[id] {
			gotImp[id] = true // report each id once
			pe.MissingImpUIDs = append(pe.MissingImpUIDs, id)
		}
	}
	for _, id := range merchantUIDs {
		if !gotMerchant[id] {
			gotMerchant[id] = true
			pe.MissingMerchantUIDs = append(pe.MissingMerchantUIDs, id)
		}
	}
	if pe.MissingImpUIDs == nil && pe.MissingMerchantUIDs == nil {
		return nil
	}
	return &pe
}

// FindPayment returns the latest attempt (by start time) for merchantUID,
// only among those in status when status is not empty:
// GET /payments/find/{merchant_uid}[/{status}]. An order can have several
// attempts, so ask for StatusPaid to find the one that was paid.
func (c *Client) FindPayment(ctx context.Context, merchantUID string, status Status) (*Payment, error) {
	return c.FindPaymentSorted(ctx, merchantUID, status, "")
}

// FindPaymentSorted is FindPayment returning the first attempt in the
// given order instead; "" is PortOne's default, SortStartedDesc.
func (c *Client) FindPaymentSorted(ctx context.Context, merchantUID string, status Status, sorting Sorting) (*Payment, error) {
	if err := checkMerchantUID(merchantUID); err != nil {
		return nil, err
	}
	if err := checkStatus(status, true); err != nil {
		return nil, err
	}
	if err := checkSorting(sorting); err != nil {
		return nil, err
	}
	r := &call{method: "GET", path: "/payments/find/" + url.PathEscape(merchantUID), auth: true, retry: retrySafe}
	if status != "" {
		r.path += "/" + string(status)
	}
	if sorting != "" {
		r.query = url.Values{"sorting": {string(sorting)}}
	}
	return onePayment(ctx, c, r)
}

// FindAllPayments lists every attempt for merchantUID, optionally only
// those in status: GET /payments/findAll/{merchant_uid}[/{status}]. An
// unknown merchant_uid is an *Error for which IsNotFound is true.
func (c *Client) FindAllPayments(ctx context.Context, merchantUID string, status Status, q ListQuery) (*PaymentPage, error) {
	if err := checkMerchantUID(merchantUID); err != nil {
		return nil, err
	}
	if err := checkStatus(status, true); err != nil {
		return nil, err
	}
	v, err := q.values(false)
	if err != nil {
		return nil, err
	}
	r := &call{method: "GET", path: "/payments/findAll/" + url.PathEscape(merchantUID), query: v, auth: true, retry: retrySafe}
	if status != "" {
		r.path += "/" + string(status)
	}
	return onePage(ctx, c, r)
}

// PaymentsByStatus lists payments whose final status is status ("all" or
// a Status), within q's time range: GET /payments/status/{status}. Page
// through with q.Page = page.Next until Next is 0.
func (c *Client) PaymentsByStatus(ctx context.Context, status string, q ListQuery) (*PaymentPage, error) {
	if status != "all" {
		if err := checkStatus(Status(status), false); err != nil {
			return nil, &InputError{Field: "payment_status", Reason: fmt.Sprintf("%q is not all, ready, paid, failed or cancelled", status)}
		}
	}
	v, err := q.values(true)
	if err != nil {
		return nil, err
	}
	r := &call{method: "GET", path: "/payments/status/" + status, query: v, auth: true, retry: retrySafe}
	return onePage(ctx, c, r)
}

func onePage(ctx context.Context, c *Client, r *call) (*PaymentPage, error) {
	p, err := do[*PaymentPage](ctx, c, r)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, fmt.Errorf("portone: %s: success without a page", r.endpoint())
	}
	if p.List == nil {
		p.List = []Payment{}
	}
	return p, nil
}
