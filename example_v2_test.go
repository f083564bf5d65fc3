package payresult_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/portone"
	"github.com/payresult/payresult/portone/emulator"
	"github.com/payresult/payresult/portone/portonev2"
	"github.com/payresult/payresult/sqlite"
)

// A shop on PortOne V2 gives the processor a V2Gateway and mounts V2's
// redirect (RedirectHandler with API APIV2) and signed webhook
// (V2WebhookHandler). The order's merchant_uid is the paymentId the page
// passes to PortOne.requestPayment. Here PortOne is the offline emulator,
// which signs its V2 webhooks with DefaultV2WebhookSecret; in production
// the client has your V2 API secret and no BaseURL, and the handler your
// console's webhook secret.
func ExampleV2WebhookHandler() {
	ctx := context.Background()
	mux := http.NewServeMux()
	shop := httptest.NewServer(mux)
	defer shop.Close()
	emu := emulator.New(emulator.Config{V2: emulator.V2Config{WebhookURL: shop.URL + "/pay/v2/webhook"}})
	defer emu.Close()
	portOne := httptest.NewServer(emu)
	defer portOne.Close()

	store, err := sqlite.Open(ctx, ":memory:")
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	proc := &payresult.Processor{
		Store:      store,
		DefaultAPI: payresult.APIV2,
		PortOneV2:  &payresult.V2Gateway{Client: &portonev2.Client{BaseURL: portOne.URL, Secret: emulator.DefaultV2APISecret}},
	}
	mux.Handle("/pay/v2/return", &payresult.RedirectHandler{Processor: proc, API: payresult.APIV2})
	mux.Handle("POST /pay/v2/webhook", &payresult.V2WebhookHandler{Processor: proc, Secret: emulator.DefaultV2WebhookSecret})

	// Register the order (its amount is pre-registered with PortOne V2),
	// then let the buyer pay in the (emulated) window.
	if _, _, err := proc.CreateOrder(ctx, payresult.NewOrder{MerchantUID: "order-2001", Name: "Mug", Amount: portone.Won(12000)}); err != nil {
		log.Fatal(err)
	}
	paid, err := emu.PayV2(emulator.V2PaymentRequest{
		StoreID: emulator.DefaultV2StoreID, ChannelKey: emulator.DefaultV2LiveChannelKey, PaymentID: "order-2001",
		OrderName: "Mug", TotalAmount: 12000, Currency: "KRW", PayMethod: "CARD", RedirectURL: shop.URL + "/pay/v2/return",
	}, emulator.OutcomePaid)
	if err != nil {
		log.Fatal(err)
	}
	paid.Release()
	<-paid.Webhooks // PortOne's signed webhooks have been answered

	o, err := store.Order(ctx, "order-2001")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(o.MerchantUID, o.API, o.Status, o.PaidAmount)
	// Output:
	// order-2001 v2 paid 12000
}
