package payresult

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/payresult/payresult/portone"
	"github.com/payresult/payresult/portone/portonev2"
)

// DefaultCurrency is the currency of an order that names none.
const DefaultCurrency = "KRW"

// maxOrderNameLen bounds an order's name, in characters: PortOne shows it
// in the payment window, where long names are cut anyway.
const maxOrderNameLen = 200

// NewOrder is what the app registers before the buyer pays.
type NewOrder struct {
	// MerchantUID is the app's order id: 1 to 40 of A-Z a-z 0-9 - _ . :
	MerchantUID string `json:"merchant_uid"`
	// Name is shown in the payment window.
	Name string `json:"name"`
	// Amount must be positive and count in the currency's minor unit
	// (ISO 4217): whole won for KRW, whole yen for JPY, cents for USD.
	Amount portone.Amount `json:"amount"`
	// Currency is an ISO 4217 code; empty means KRW.
	Currency string `json:"currency,omitempty"`
	// SuccessURL and FailURL, when set, are absolute http(s) URLs the buyer
	// is sent to after the payment, with a signed result.
	SuccessURL string `json:"success_url,omitempty"`
	FailURL    string `json:"fail_url,omitempty"`
	// API is the PortOne API the buyer pays through (APIV1 or APIV2);
	// empty means the Processor's DefaultAPI. A V2 order's merchant_uid
	// is its paymentId at PortOne.
	API API `json:"api,omitempty"`
	// IdempotencyKey makes the request safe to send again, as for
	// Refund: the same request with the same key gets the first answer
	// (created or not) and changes nothing more.
	IdempotencyKey string `json:"-"`
}

// normalize validates n and fills in its defaults.
func (n *NewOrder) normalize() error {
	if err := checkMerchantUID(n.MerchantUID); err != nil {
		return err
	}
	n.Name = strings.TrimSpace(n.Name)
	if n.Name == "" || !utf8.ValidString(n.Name) || utf8.RuneCountInString(n.Name) > maxOrderNameLen {
		return Errorf(KindInvalid, "name must be 1 to %d characters", maxOrderNameLen)
	}
	if strings.IndexFunc(n.Name, unicode.IsControl) >= 0 {
		return Errorf(KindInvalid, "name contains a control character")
	}
	n.Currency = strings.ToUpper(n.Currency)
	if n.Currency == "" {
		n.Currency = DefaultCurrency
	}
	if n.Amount.Sign() <= 0 {
		return Errorf(KindInvalid, "amount must be positive")
	}
	if err := checkMinorUnit("amount", n.Amount, n.Currency); err != nil {
		return err
	}
	for _, u := range []struct{ field, raw string }{{"success_url", n.SuccessURL}, {"fail_url", n.FailURL}} {
		if err := checkResultURL(u.field, u.raw); err != nil {
			return err
		}
	}
	return nil
}

// checkMinorUnit refuses an amount that does not count in the minor unit
// of its currency, or a currency ISO 4217 does not list, naming field.
func checkMinorUnit(field string, a portone.Amount, currency string) error {
	err := a.CheckMinorUnit(currency)
	var in *portone.InputError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &in) && in.Field == "amount":
		return WrapError(KindInvalid, err, "%s %s", field, in.Reason)
	case errors.As(err, &in):
		return WrapError(KindInvalid, err, "currency %s", in.Reason)
	}
	return WrapError(KindInvalid, err, "%s %s: %v", field, a, err)
}

// checkMerchantUID refuses a merchant_uid outside the safe charset, so
// that it travels unescaped through URLs, logs and PortOne.
func checkMerchantUID(m string) error {
	if m == "" || len(m) > maxMerchantUIDLen {
		return Errorf(KindInvalid, "merchant_uid must be 1 to %d characters", maxMerchantUIDLen)
	}
	for _, r := range m {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.:", r)
		if !ok {
			return Errorf(KindInvalid, "merchant_uid may contain only A-Z a-z 0-9 - _ . :")
		}
	}
	return nil
}

// checkResultURL accepts an empty URL or an absolute http(s) one.
func checkResultURL(field, raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return Errorf(KindInvalid, "%s must be an absolute http or https URL", field)
	}
	return nil
}

// sameTerms reports whether o was registered with exactly n's terms.
func sameTerms(o *Order, n *NewOrder) bool {
	return o.Name == n.Name && o.Amount == n.Amount && o.Currency == n.Currency &&
		o.SuccessURL == n.SuccessURL && o.FailURL == n.FailURL && o.PortOneAPI() == n.API
}

// CreateOrder registers an order as pending and pre-registers its amount
// with PortOne, so that a tampered amount is refused before the payment
// window opens. Repeating an identical request returns the stored order
// with created=false; the same merchant_uid with other terms is a
// KindConflict. With n.IdempotencyKey, a repeat with the same key gets
// the first answer (created=true again for the request that created the
// order), as described at Refund.
//
// The amount is pre-registered before the order is stored: an order in
// the store is always known to PortOne, and a failure at PortOne (a
// KindTransient error) leaves nothing behind, so the app simply retries.
// A retry after the order was stored but its answer lost finds it.
func (p *Processor) CreateOrder(ctx context.Context, n NewOrder) (*Order, bool, error) {
	if err := n.normalize(); err != nil {
		return nil, false, err
	}
	if n.API == "" {
		n.API = p.DefaultAPI
	}
	if n.API == "" {
		n.API = APIV1
	}
	if !n.API.Valid() {
		return nil, false, Errorf(KindInvalid, "api must be %s or %s", APIV1, APIV2)
	}
	if n.IdempotencyKey == "" {
		return p.createOrder(ctx, &n, nil)
	}
	fingerprint := fingerprintOf(struct {
		Op string
		NewOrder
	}{"order", n})
	status, o, err := p.keyed(ctx, n.IdempotencyKey, fingerprint, func(k *keyClaim) (int, *Order, error) {
		o, created, err := p.createOrder(ctx, &n, k)
		if created {
			return http.StatusCreated, o, err
		}
		return http.StatusOK, o, err
	})
	return o, status == http.StatusCreated, err
}

// createOrder registers the normalized n, under the claim k of its
// idempotency key (nil without one).
func (p *Processor) createOrder(ctx context.Context, n *NewOrder, k *keyClaim) (*Order, bool, error) {
	existing, err := p.Store.Order(ctx, n.MerchantUID)
	switch {
	case err == nil:
		return repeatOrder(existing, n)
	case !IsNotFound(err):
		return nil, false, err
	}
	gw, err := p.gateway(n.API)
	if err != nil {
		return nil, false, err
	}
	if _, err := gw.Prepare(ctx, n.MerchantUID, n.Amount, n.Currency); err != nil {
		if portone.IsAlreadyPrepared(err) {
			return nil, false, WrapError(KindConflict, err, "merchant_uid %s is registered at PortOne with another amount", n.MerchantUID)
		}
		if portonev2.IsAlreadyPaid(err) {
			return nil, false, WrapError(KindConflict, err, "paymentId %s is already paid at PortOne", n.MerchantUID)
		}
		return nil, false, gatewayError(err, "pre-registering the amount of %s", n.MerchantUID)
	}
	now := p.now()
	o := &Order{
		MerchantUID: n.MerchantUID,
		Name:        n.Name,
		Amount:      n.Amount,
		Currency:    n.Currency,
		API:         n.API,
		Status:      StatusPending,
		SuccessURL:  n.SuccessURL,
		FailURL:     n.FailURL,
		CreatedAt:   now,
		UpdatedAt:   now,
		NextCheckAt: now.Add(p.firstCheckDelay()),
	}
	c := &Change{Order: o, Notes: []Note{p.newNote(o.MerchantUID, "", SourceApp, noteNotice,
		"order registered: %s %s, amount pre-registered at PortOne %s", o.Amount, o.Currency, o.API)}}
	err = k.answer(http.StatusCreated, nil).apply(ctx, p.Store, c, o)
	if IsConflict(err) {
		// Another request for the same merchant_uid won the race.
		existing, err := p.Store.Order(ctx, n.MerchantUID)
		if err != nil {
			return nil, false, err
		}
		return repeatOrder(existing, n)
	}
	if err != nil {
		return nil, false, err
	}
	return o, true, nil
}

// repeatOrder answers a repeated registration.
func repeatOrder(o *Order, n *NewOrder) (*Order, bool, error) {
	if o == nil || !sameTerms(o, n) {
		return nil, false, Errorf(KindConflict, "merchant_uid %s is already registered with other terms", n.MerchantUID)
	}
	return o, false, nil
}
