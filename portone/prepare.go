package portone

import (
	"context"
	"fmt"
	"net/url"
	"strings"
)

// Prepare pre-registers the amount (and, when not empty, the currency) of
// merchantUID: POST /payments/prepare. PortOne then refuses to open a
// payment window for merchantUID with any other amount.
//
// Prepare is idempotent, so it is retried like a read: when PortOne
// answers that merchantUID is already registered (as a retry does when the
// first attempt's answer was lost), Prepare reads the registration back
// and succeeds if its amount equals amount and its currency equals
// currency (an empty currency on either side matches any). Otherwise it
// returns PortOne's refusal, for which IsAlreadyPrepared is true.
func (c *Client) Prepare(ctx context.Context, merchantUID string, amount Amount, currency string) (*Prepared, error) {
	body, err := preparedBody(merchantUID, amount, currency)
	if err != nil {
		return nil, err
	}
	r := &call{method: "POST", path: "/payments/prepare", body: body, auth: true, retry: retrySafe}
	p, err := onePrepared(ctx, c, r)
	if err == nil || !IsAlreadyPrepared(err) {
		return p, err
	}
	got, rerr := c.PreparedAmount(ctx, merchantUID)
	if rerr != nil {
		return nil, fmt.Errorf("%w (reading the registered amount back: %v)", err, rerr)
	}
	if got.Amount != amount || !sameCurrency(got.Currency, currency) {
		return nil, fmt.Errorf("%w (registered: %s %s, asked: %s %s)", err, got.Amount, got.Currency, amount, currency)
	}
	return got, nil
}

func sameCurrency(a, b string) bool { return a == "" || b == "" || strings.EqualFold(a, b) }

// PreparedAmount returns the amount registered for merchantUID:
// GET /payments/prepare/{merchant_uid}. An unregistered merchantUID is an
// *Error for which IsNotFound is true.
func (c *Client) PreparedAmount(ctx context.Context, merchantUID string) (*Prepared, error) {
	if err := checkMerchantUID(merchantUID); err != nil {
		return nil, err
	}
	r := &call{method: "GET", path: "/payments/prepare/" + url.PathEscape(merchantUID), auth: true, retry: retrySafe}
	return onePrepared(ctx, c, r)
}

// UpdatePrepared changes the amount registered for merchantUID:
// PUT /payments/prepare. An unregistered merchantUID is an *Error for
// which IsNotFound is true.
func (c *Client) UpdatePrepared(ctx context.Context, merchantUID string, amount Amount, currency string) (*Prepared, error) {
	body, err := preparedBody(merchantUID, amount, currency)
	if err != nil {
		return nil, err
	}
	r := &call{method: "PUT", path: "/payments/prepare", body: body, auth: true, retry: retrySafe}
	return onePrepared(ctx, c, r)
}

func preparedBody(merchantUID string, amount Amount, currency string) (*Prepared, error) {
	if err := checkMerchantUID(merchantUID); err != nil {
		return nil, err
	}
	if amount.Sign() <= 0 {
		return nil, &InputError{Field: "amount", Reason: fmt.Sprintf("%s is not positive", amount)}
	}
	if err := checkCurrency(currency); err != nil {
		return nil, err
	}
	return &Prepared{MerchantUID: merchantUID, Amount: amount, Currency: currency}, nil
}

func onePrepared(ctx context.Context, c *Client, r *call) (*Prepared, error) {
	p, err := do[*Prepared](ctx, c, r)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, fmt.Errorf("portone: %s: success without a response", r.endpoint())
	}
	return p, nil
}
