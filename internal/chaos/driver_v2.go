package chaos

import (
	"context"
	"fmt"
	"net/http"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/portone/emulator"
	"github.com/payresult/payresult/portone/portonev2"
)

// controlPrefix is the emulator's control API for the flow's PortOne API.
func (d *driver) controlPrefix(f *flow) string {
	if f.api == payresult.APIV2 {
		return "/__emulator/v2"
	}
	return "/__emulator"
}

// payV2 completes a V2 flow's payment at PortOne through the V2 control
// API, as requestPayment would: the paymentId is the order's merchant_uid,
// the channel is one PortOne reports as LIVE (serve runs in live mode),
// the buyer comes back to payresult's V2 redirect and PortOne's signed
// webhooks go to its V2 webhook endpoint.
func (d *driver) payV2(ctx context.Context, f *flow) (*payAnswer, error) {
	method := "CARD"
	if f.kind == KindVbank || f.kind == KindVbankDeposit {
		method = "VIRTUAL_ACCOUNT"
	}
	req := map[string]any{
		"storeId": emulator.DefaultV2StoreID, "channelKey": emulator.DefaultV2LiveChannelKey,
		"paymentId": f.merchantUID, "orderName": "chaos order " + f.merchantUID,
		"totalAmount": f.paidAmount(), "currency": "KRW", "payMethod": method,
		"customer":    map[string]string{"fullName": "Chaos Buyer"},
		"redirectUrl": d.fleet.instances[f.redirectTo].url + "/portone/v2/redirect",
		"noticeUrls":  []string{d.fleet.instances[f.webhookTo].url + "/portone/v2/webhook"},
		"outcome":     string(f.outcome()),
	}
	var ans struct {
		Payment     *portonev2.Payment `json:"payment"`
		RedirectURL string             `json:"redirect_url"`
	}
	if err := d.call(ctx, http.MethodPost, d.emURL+"/__emulator/v2/payments", req, http.StatusCreated, &ans); err != nil {
		return nil, fmt.Errorf("paying for %s through V2: %w", f.merchantUID, err)
	}
	if ans.Payment == nil || ans.Payment.ID != f.merchantUID {
		return nil, fmt.Errorf("paying for %s through V2: the emulator answered another paymentId", f.merchantUID)
	}
	out := &payAnswer{RedirectURL: ans.RedirectURL, RedirectMethod: http.MethodGet}
	out.Payment.ImpUID = ans.Payment.ID
	return out, nil
}
