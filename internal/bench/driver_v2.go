package bench

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/payresult/payresult/portone/emulator"
	"github.com/payresult/payresult/portone/portonev2"
)

// preparePath prepares n paid orders for path p: V1 orders paid through
// V1, or, for V2's webhook, V2 orders paid through V2 with their signed
// webhooks ready to send.
func (e *env) preparePath(ctx context.Context, p path, tag string, n int) ([]order, error) {
	if p != pathWebhookV2 {
		return e.prepare(ctx, tag, n)
	}
	b := make([]order, n)
	err := parallel(ctx, n, func(ctx context.Context, i int) error {
		m := fmt.Sprintf("bench-%s-%s-%d", e.run, tag, i)
		if err := e.registerAPI(ctx, m, "v2"); err != nil {
			return err
		}
		o, err := e.payV2(ctx, m)
		b[i] = o
		return err
	})
	return b, err
}

// registerAPI registers an order of 10000 KRW for PortOne API api.
func (e *env) registerAPI(ctx context.Context, merchantUID, api string) error {
	body := map[string]any{"merchant_uid": merchantUID, "name": "bench order", "amount": 10000, "currency": "KRW", "api": api}
	if err := e.do(ctx, http.MethodPost, e.serviceURL+"/api/orders", e.apiKey, body, http.StatusCreated, nil); err != nil {
		return fmt.Errorf("registering order %s: %w", merchantUID, err)
	}
	return nil
}

// payV2 completes a paid card payment of 10000 KRW at the emulator's V2,
// on a channel it reports as LIVE (the service runs in live mode), with
// no noticeUrls: the emulator sends no webhook, and the bench signs the
// Transaction.Paid webhook PortOne would send.
func (e *env) payV2(ctx context.Context, paymentID string) (order, error) {
	body := map[string]any{
		"storeId": emulator.DefaultV2StoreID, "channelKey": emulator.DefaultV2LiveChannelKey, "paymentId": paymentID,
		"orderName": "bench order", "totalAmount": 10000, "currency": "KRW", "payMethod": "CARD",
		"outcome": string(emulator.OutcomePaid),
	}
	var ans struct {
		Payment portonev2.Payment `json:"payment"`
	}
	if err := e.do(ctx, http.MethodPost, e.emuURL+"/__emulator/v2/payments", "", body, http.StatusCreated, &ans); err != nil {
		return order{}, err
	}
	if ans.Payment.ID != paymentID {
		return order{}, fmt.Errorf("the emulator's V2 paid %q for %s", ans.Payment.ID, paymentID)
	}
	o := order{merchantUID: paymentID, impUID: paymentID}
	at := time.Now()
	hook := fmt.Sprintf(`{"type":"Transaction.Paid","timestamp":%q,"data":{"paymentId":%q,"storeId":%q,"transactionId":%q}}`,
		at.UTC().Format("2006-01-02T15:04:05.000Z"), paymentID, ans.Payment.StoreID, ans.Payment.TransactionID)
	id := "msg_bench_" + paymentID
	sig, err := portonev2.SignWebhook(e.v2WebhookSecret, id, at, []byte(hook))
	if err != nil {
		return o, err
	}
	o.v2Body = []byte(hook)
	o.v2Header = http.Header{"Content-Type": {"application/json"}}
	o.v2Header.Set(portonev2.HeaderWebhookID, id)
	o.v2Header.Set(portonev2.HeaderWebhookTimestamp, strconv.FormatInt(at.Unix(), 10))
	o.v2Header.Set(portonev2.HeaderWebhookSignature, sig)
	return o, nil
}
