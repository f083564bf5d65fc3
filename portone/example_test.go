package portone_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/payresult/payresult/portone"
)

// exampleServer stands in for https://api.iamport.kr, answering with the
// recorded responses in testdata. In real code, leave BaseURL empty (or
// point it at the emulator).
func exampleServer() *httptest.Server {
	file := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			panic(err)
		}
		return b
	}
	reply := func(status int, name string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(status)
			w.Write(file(name))
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /users/getToken", reply(200, "token.json"))
	mux.HandleFunc("GET /payments/imp_123456789012", reply(200, "payment_paid_card.json"))
	mux.HandleFunc("GET /payments/imp_000000000000", reply(404, "payment_not_found.json"))
	mux.HandleFunc("GET /payments/find/order_0001/paid", reply(200, "payment_paid_card.json"))
	mux.HandleFunc("GET /payments", reply(207, "payments_partial.json"))
	mux.HandleFunc("POST /payments/prepare", reply(200, "prepare_ok.json"))
	mux.HandleFunc("POST /payments/cancel", reply(200, "cancel_ok.json"))
	return httptest.NewServer(mux)
}

func ExampleClient_Payment() {
	srv := exampleServer()
	defer srv.Close()
	c := &portone.Client{BaseURL: srv.URL, Key: "imp_apikey", Secret: "secret"}

	// The redirect or the webhook named imp_123456789012; only the API is trusted.
	p, err := c.Payment(context.Background(), "imp_123456789012", true)
	if err != nil {
		fmt.Println(err)
		return
	}
	orderAmount := portone.Won(50000)
	switch {
	case p.MerchantUID != "order_0001":
		fmt.Println("payment of another order")
	case p.Amount != orderAmount || p.Currency != "KRW":
		fmt.Println("forged amount: cancel it")
	case p.Status == portone.StatusPaid:
		fmt.Printf("paid %s %s by %s at %s\n", p.Amount, p.Currency, p.CardName.String, p.PaidAt.Time().UTC().Format("2006-01-02 15:04"))
	}
	// Output: paid 50000 KRW by 신한카드 at 2024-04-04 04:02
}

func ExampleClient_FindPayment() {
	srv := exampleServer()
	defer srv.Close()
	c := &portone.Client{BaseURL: srv.URL, Key: "imp_apikey", Secret: "secret"}

	// The window never opened or the redirect lost imp_uid: find the paid
	// attempt of the order, not merely the latest one.
	p, err := c.FindPayment(context.Background(), "order_0001", portone.StatusPaid)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.ImpUID, p.Status)
	// Output: imp_123456789012 paid
}

func ExampleIsNotFound() {
	srv := exampleServer()
	defer srv.Close()
	c := &portone.Client{BaseURL: srv.URL, Key: "imp_apikey", Secret: "secret"}

	_, err := c.Payment(context.Background(), "imp_000000000000", false)
	var perr *portone.Error
	switch {
	case portone.IsNotFound(err) && errors.As(err, &perr):
		fmt.Printf("not found (HTTP %d, code %d): %s\n", perr.HTTPStatus, perr.Code, perr.Message)
	case portone.IsTransient(err):
		fmt.Println("PortOne unreachable: try again later")
	}
	// Output: not found (HTTP 404, code -1): 존재하지 않는 결제정보입니다.
}

func ExampleClient_Payments() {
	srv := exampleServer()
	defer srv.Close()
	c := &portone.Client{BaseURL: srv.URL, Key: "imp_apikey", Secret: "secret"}

	list, err := c.Payments(context.Background(), []string{"imp_123456789012", "imp_999999999999"}, nil)
	for _, p := range list {
		fmt.Println("found", p.ImpUID)
	}
	var partial *portone.PartialError
	if errors.As(err, &partial) {
		fmt.Println("missing", strings.Join(partial.MissingImpUIDs, ", "))
	}
	// Output:
	// found imp_123456789012
	// missing imp_999999999999
}

func ExampleClient_Prepare() {
	srv := exampleServer()
	defer srv.Close()
	c := &portone.Client{BaseURL: srv.URL, Key: "imp_apikey", Secret: "secret"}

	// Before IMP.request_pay: PortOne will refuse any other amount.
	p, err := c.Prepare(context.Background(), "order_0001", portone.Won(50000), "KRW")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.MerchantUID, p.Amount, p.Currency)
	// Output: order_0001 50000 KRW
}

func ExampleClient_Cancel() {
	srv := exampleServer()
	defer srv.Close()
	c := &portone.Client{BaseURL: srv.URL, Key: "imp_apikey", Secret: "secret"}

	// Refund all that remains. The checksum (what we believe is still
	// cancellable) makes the call safe to retry: PortOne refuses a repeat.
	p, err := c.Cancel(context.Background(), &portone.CancelRequest{
		ImpUID:   "imp_803037736674",
		Checksum: portone.AmountPtr(portone.Won(100)),
		Reason:   "취소요청api",
	})
	switch {
	case portone.IsAlreadyCancelled(err):
		fmt.Println("already refunded")
	case err != nil:
		fmt.Println(err)
	default:
		fmt.Println(p.Status, "refunded", p.CancelAmount, "left", p.Cancellable())
	}
	// Output: cancelled refunded 100 left 0
}

func ExampleParseWebhook() {
	// In an http.Handler: body, _ := io.ReadAll(http.MaxBytesReader(w, r.Body, portone.MaxNoticeBytes))
	body := []byte("imp_uid=imp_123456789012&merchant_uid=order_0001&status=paid")
	w, err := portone.ParseWebhook("application/x-www-form-urlencoded; charset=UTF-8", body)
	if err != nil {
		fmt.Println("400:", err)
		return
	}
	// w.Status is a hint only: fetch the payment with Client.Payment(ctx, w.ImpUID, …).
	fmt.Println(w.ImpUID, w.MerchantUID, w.Status)

	_, err = portone.ParseWebhook("application/json", []byte(`{"imp_uid":"imp_1","status":"canceled"}`))
	fmt.Println(errors.Is(err, portone.ErrInvalidNotice), err)
	// Output:
	// imp_123456789012 order_0001 paid
	// true portone: invalid notice: webhook: status "canceled" is not ready, paid, failed or cancelled
}

func ExampleParseRedirect() {
	// The buyer's browser comes back from PortOne; KG Inicis bank transfer
	// sends no success flag at all, and the iOS app flow repeats merchant_uid.
	r := httptest.NewRequest("GET", "https://shop.example/pay/return?utm_source=mobile&imp_uid=imp_123456789012&merchant_uid=order_0001&merchant_uid=order_0001", nil)
	rd, err := portone.ParseRedirect(r)
	if err != nil {
		fmt.Println("400:", err)
		return
	}
	fmt.Printf("imp_uid=%s merchant_uid=%s flag=%q success=%v\n", rd.ImpUID, rd.MerchantUID, rd.SuccessKey, rd.Success)

	// The payment window never opened: no imp_uid, PortOne's message in error_msg.
	r = httptest.NewRequest("GET", "https://shop.example/pay/return?imp_uid=&merchant_uid=order_0002&imp_success=false&error_msg=%EA%B2%B0%EC%A0%9C%EA%B8%88%EC%95%A1+%EB%B6%88%EC%9D%BC%EC%B9%98", nil)
	rd, _ = portone.ParseRedirect(r)
	fmt.Printf("imp_uid=%q success=%v msg=%s\n", rd.ImpUID, *rd.Success, rd.ErrorMsg)
	// Output:
	// imp_uid=imp_123456789012 merchant_uid=order_0001 flag="" success=<nil>
	// imp_uid="" success=false msg=결제금액 불일치
}
