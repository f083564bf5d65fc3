package payresult_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/portone"
	"github.com/payresult/payresult/portone/emulator"
	"github.com/payresult/payresult/sqlite"
)

// A Go shop mounts the redirect and webhook handlers on its own mux, with
// its own Store, instead of running payresult serve. Here PortOne is the
// offline emulator; in production the client has your REST API key and
// secret and no BaseURL.
func ExampleRedirectHandler() {
	ctx := context.Background()
	emu := emulator.New(emulator.Config{})
	defer emu.Close()
	portOne := httptest.NewServer(emu)
	defer portOne.Close()

	store, err := sqlite.Open(ctx, ":memory:")
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()
	proc := &payresult.Processor{
		Store:   store,
		PortOne: &portone.Client{BaseURL: portOne.URL, Key: emulator.DefaultAPIKey, Secret: emulator.DefaultAPISecret},
	}

	// The shop's own routes: m_redirect_url and notice_url point here.
	secret := []byte("shared with the success page")
	mux := http.NewServeMux()
	mux.Handle("/pay/return", &payresult.RedirectHandler{Processor: proc, ResultKey: secret})
	mux.Handle("/pay/webhook", &payresult.WebhookHandler{Processor: proc})
	shop := httptest.NewServer(mux)
	defer shop.Close()

	// Register the order, then let the buyer pay in the (emulated) window.
	_, _, err = proc.CreateOrder(ctx, payresult.NewOrder{
		MerchantUID: "order-1001", Name: "Mug", Amount: portone.Won(12000),
		SuccessURL: "https://shop.example/thanks",
	})
	if err != nil {
		log.Fatal(err)
	}
	paid, err := emu.Pay(emulator.PaymentRequest{
		MerchantUID: "order-1001", Name: "Mug", Amount: portone.Won(12000),
		RedirectURL: shop.URL + "/pay/return",
	}, emulator.OutcomePaid)
	if err != nil {
		log.Fatal(err)
	}
	defer paid.Release()

	// The buyer's browser follows PortOne's redirect to the shop, which
	// confirms the payment and sends it on to the success page.
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := browser.Get(paid.RedirectURL)
	if err != nil {
		log.Fatal(err)
	}
	res.Body.Close()
	next, _ := url.Parse(res.Header.Get("Location"))
	fmt.Println(res.StatusCode, next.Host+next.Path)

	// The success page checks what it was told.
	got, err := payresult.VerifyResultSignature(secret, next.Query(), time.Now())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(got.MerchantUID, got.Status)
	// Output:
	// 303 shop.example/thanks
	// order-1001 paid
}
