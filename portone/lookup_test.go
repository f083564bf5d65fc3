package portone

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestPaymentDecodesEveryField(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	var query string
	body := fixture(t, "payment_paid_card.json")
	f.handle(paymentPath, func(w http.ResponseWriter, r *http.Request) {
		query = r.URL.RawQuery
		writeJSON(w, 200, body)
	})
	p, err := f.client().Payment(context.Background(), "imp_123456789012", true)
	if err != nil {
		t.Fatal(err)
	}
	if query != "include_sandbox=true" {
		t.Errorf("query = %q, want include_sandbox=true", query)
	}
	one := 1
	want := Payment{
		Amount:        Won(50000),
		ApplyNum:      NewNullString("30012345"),
		BuyerAddr:     NewNullString("서울특별시 강남구 삼성동"),
		BuyerEmail:    NewNullString("buyer@example.com"),
		BuyerName:     NewNullString("홍길동"),
		BuyerPostcode: NewNullString("06018"),
		BuyerTel:      NewNullString("010-1234-5678"),
		CancelHistory: []Cancellation{}, CancelReceiptURLs: []string{},
		CardCode:    NewNullString("366"),
		CardName:    NewNullString("신한카드"),
		CardNumber:  NewNullString("451842******1234"),
		CardQuota:   3,
		CardType:    &one,
		Channel:     NewNullString("mobile"),
		Currency:    "KRW",
		CustomData:  NewNullString(`{"order_id":1001,"coupon":"WELCOME\/10"}`),
		ImpUID:      "imp_123456789012",
		MerchantUID: "order_0001",
		Name:        NewNullString("노르웨이 회전 의자"),
		PaidAt:      1712203342,
		PayMethod:   PayMethodCard,
		PGID:        NewNullString("INIpayTest"),
		PGProvider:  NewNullString("html5_inicis"),
		PGTID:       NewNullString("StdpayCARDINIpayTest20240404130222123456"),
		Promotion:   &Promotion{ID: "promotion-id-1712", Discount: Won(1000)},
		ReceiptURL:  NewNullString("https://iniweb.inicis.com/DefaultWebApp/mall/cr/cm/mCmReceipt_head.jsp?noTid=StdpayCARDINIpayTest20240404130222123456&noMethod=1"),
		Sandbox:     true,
		StartedAt:   1712203290,
		Status:      StatusPaid,
		UserAgent:   NewNullString("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/105.0.0.0 Safari/537.36"),
	}
	if !reflect.DeepEqual(*p, want) {
		t.Errorf("payment =\n%+v\nwant\n%+v", *p, want)
	}
	var custom struct {
		OrderID int    `json:"order_id"`
		Coupon  string `json:"coupon"`
	}
	if err := p.DecodeCustomData(&custom); err != nil || custom.OrderID != 1001 || custom.Coupon != "WELCOME/10" {
		t.Errorf("custom data = %+v, %v", custom, err)
	}
	if got := p.PaidAt.Time(); !got.Equal(time.Unix(1712203342, 0)) {
		t.Errorf("PaidAt.Time() = %v", got)
	}
}

func TestPaymentFixturesDecode(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file         string
		status       Status
		amount       string
		cancellable  string
		cancelled    int
		vbankIssued  bool
		cancellation string
	}{
		{"payment_cancelled_kcp.json", StatusCancelled, "100", "0", 1, false, ""},
		{"payment_partial_cancel.json", StatusCancelled, "30000", "20000", 1, false, "cancel-1712300000-a1"},
		{"payment_vbank_ready.json", StatusReady, "12000", "12000", 0, true, ""},
		{"payment_paid_usd.json", StatusPaid, "10.5", "10.5", 0, false, ""},
		{"payment_failed.json", StatusFailed, "50000", "50000", 0, false, ""},
	} {
		t.Run(tc.file, func(t *testing.T) {
			var p *Payment
			r := &call{method: "GET", path: "/payments/x"}
			if err := decode(r, &response{status: 200, body: fixture(t, tc.file)}, &p, false); err != nil {
				t.Fatal(err)
			}
			if p.Status != tc.status || p.Amount.String() != tc.amount || p.Cancellable().String() != tc.cancellable {
				t.Errorf("status %s amount %s cancellable %s, want %s %s %s", p.Status, p.Amount, p.Cancellable(), tc.status, tc.amount, tc.cancellable)
			}
			if len(p.CancelHistory) != tc.cancelled {
				t.Errorf("cancel_history has %d entries, want %d", len(p.CancelHistory), tc.cancelled)
			}
			if tc.cancellation != "" && p.CancelHistory[0].CancellationID != tc.cancellation {
				t.Errorf("cancellation_id = %q, want %q", p.CancelHistory[0].CancellationID, tc.cancellation)
			}
			if p.IsVbankIssued() != tc.vbankIssued {
				t.Errorf("IsVbankIssued = %v", p.IsVbankIssued())
			}
		})
	}
}

func TestPaymentVbankFields(t *testing.T) {
	t.Parallel()
	var p *Payment
	r := &call{method: "GET", path: "/payments/x"}
	if err := decode(r, &response{status: 200, body: fixture(t, "payment_vbank_ready.json")}, &p, false); err != nil {
		t.Fatal(err)
	}
	if p.VbankHolder.String != "（주）케이지이니시" || p.VbankName.String != "KB 국민은행" || p.VbankNum.String != "79959078731512" {
		t.Errorf("vbank = %+v %+v %+v", p.VbankHolder, p.VbankName, p.VbankNum)
	}
	if p.VbankDate != 1604588399 || p.PaidAt != 0 || !p.PaidAt.Time().IsZero() {
		t.Errorf("vbank_date %d paid_at %d", p.VbankDate, p.PaidAt)
	}
	if p.CardType != nil || p.ApplyNum.Valid {
		t.Errorf("card_type %v apply_num %+v: want null", p.CardType, p.ApplyNum)
	}
}

func TestPaymentNotFound(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	f.handleFixture("GET /payments/imp_000000000000", http.StatusNotFound, "payment_not_found.json")
	_, err := f.client().Payment(context.Background(), "imp_000000000000", false)
	if !IsNotFound(err) {
		t.Fatalf("err = %v, want not found", err)
	}
	if IsTransient(err) || IsUnauthorized(err) {
		t.Errorf("404 classified as transient or unauthorized")
	}
	var pe *Error
	errors.As(err, &pe)
	want := Error{HTTPStatus: 404, Code: -1, Message: MsgPaymentNotFound, Endpoint: "GET /payments/imp_000000000000"}
	if *pe != want {
		t.Errorf("err = %+v, want %+v", *pe, want)
	}
	if n := f.count("GET /payments/imp_000000000000"); n != 1 {
		t.Errorf("requests = %d, want 1 (404 is not retried)", n)
	}
}

func TestBusinessErrorWithHTTP200(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	f.handleFixture(paymentPath, 200, "cancel_already_cancelled.json") // code 1 with HTTP 200
	_, err := f.client().Payment(context.Background(), "imp_123456789012", false)
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want *Error", err)
	}
	if pe.HTTPStatus != 200 || pe.Code != 1 || pe.Message != MsgAlreadyCancelled {
		t.Errorf("err = %+v", pe)
	}
	if IsTransient(err) {
		t.Error("code 1 with HTTP 200 classified as transient")
	}
	if n := f.count(paymentPath); n != 1 {
		t.Errorf("requests = %d, want 1", n)
	}
}

func TestPaymentsBatch(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	var query string
	all, partial := fixture(t, "payments_all.json"), fixture(t, "payments_partial.json")
	notFound := fixture(t, "payment_not_found.json")
	f.handle("GET /payments", func(w http.ResponseWriter, r *http.Request) {
		query = r.URL.RawQuery
		switch len(r.URL.Query()["imp_uid[]"]) + len(r.URL.Query()["merchant_uid[]"]) {
		case 2:
			writeJSON(w, 200, all)
		case 3:
			writeJSON(w, http.StatusMultiStatus, partial)
		default:
			writeJSON(w, 404, notFound)
		}
	})
	c := f.client()
	ctx := context.Background()

	list, err := c.Payments(ctx, []string{"imp_123456789012"}, []string{"order_0003"})
	if err != nil || len(list) != 2 {
		t.Fatalf("all found: %d payments, err %v", len(list), err)
	}
	if want := "imp_uid[]=imp_123456789012&merchant_uid[]=order_0003"; query != want {
		t.Errorf("query = %q, want %q", query, want)
	}

	list, err = c.Payments(ctx, []string{"imp_123456789012", "imp_999999999999"}, []string{"order 한글"})
	if len(list) != 1 || list[0].ImpUID != "imp_123456789012" {
		t.Errorf("partial: got %d payments", len(list))
	}
	var pe *PartialError
	if !errors.As(err, &pe) {
		t.Fatalf("partial: err = %v, want *PartialError", err)
	}
	if !reflect.DeepEqual(pe.MissingImpUIDs, []string{"imp_999999999999"}) || !reflect.DeepEqual(pe.MissingMerchantUIDs, []string{"order 한글"}) {
		t.Errorf("missing = %+v", pe)
	}
	if !strings.Contains(err.Error(), "imp_999999999999") {
		t.Errorf("error text %q does not name the missing id", err)
	}
	if !strings.Contains(query, "merchant_uid[]=order+%ED%95%9C%EA%B8%80") {
		t.Errorf("query = %q: merchant_uid not encoded", query)
	}

	_, err = c.Payments(ctx, []string{"imp_1", "imp_2", "imp_3", "imp_4"}, nil)
	if !IsNotFound(err) {
		t.Errorf("none found: err = %v, want not found", err)
	}
}

func TestFindPaymentPaths(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	var mu sync.Mutex
	var got []string
	body := fixture(t, "payment_paid_card.json")
	record := func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.URL.EscapedPath()+"?"+r.URL.RawQuery)
		mu.Unlock()
		writeJSON(w, 200, body)
	}
	f.handle("GET /payments/find/order_0001", record)
	f.handle("GET /payments/find/order_0001/paid", record)
	f.handle("GET /payments/find/a%2Fb%20%ED%95%9C", record)
	c := f.client()
	ctx := context.Background()
	if _, err := c.FindPayment(ctx, "order_0001", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := c.FindPayment(ctx, "order_0001", StatusPaid); err != nil {
		t.Fatal(err)
	}
	if _, err := c.FindPaymentSorted(ctx, "order_0001", StatusPaid, SortPaidAsc); err != nil {
		t.Fatal(err)
	}
	if _, err := c.FindPayment(ctx, "a/b 한", ""); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"/payments/find/order_0001?",
		"/payments/find/order_0001/paid?",
		"/payments/find/order_0001/paid?sorting=paid",
		"/payments/find/a%2Fb%20%ED%95%9C?",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("requests =\n%q\nwant\n%q", got, want)
	}
}

func TestFindAllAndByStatusPaging(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	var query string
	page := fixture(t, "payments_page.json")
	capture := func(w http.ResponseWriter, r *http.Request) {
		query = r.URL.RawQuery
		writeJSON(w, 200, page)
	}
	f.handle("GET /payments/findAll/order_0001", capture)
	f.handle("GET /payments/findAll/order_0001/failed", capture)
	f.handle("GET /payments/status/all", capture)
	f.handleFixture("GET /payments/status/paid", 200, "payments_last_page.json")
	f.handleFixture("GET /payments/status/ready", 400, "status_unsupported.json")
	c := f.client()
	ctx := context.Background()

	p, err := c.FindAllPayments(ctx, "order_0001", "", ListQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Total != 37 || p.Previous != 0 || p.Next != 2 || len(p.List) != 2 || p.List[1].Status != StatusFailed {
		t.Errorf("page = total %d prev %d next %d len %d", p.Total, p.Previous, p.Next, len(p.List))
	}
	if query != "" {
		t.Errorf("zero ListQuery sent %q, want nothing", query)
	}
	if _, err := c.FindAllPayments(ctx, "order_0001", StatusFailed, ListQuery{Page: 2, Limit: 100, Sorting: SortUpdatedDesc}); err != nil {
		t.Fatal(err)
	}
	if want := "limit=100&page=2&sorting=-updated"; query != want {
		t.Errorf("query = %q, want %q", query, want)
	}

	from, to := time.Unix(1712000000, 0), time.Unix(1712600000, 0)
	if _, err := c.PaymentsByStatus(ctx, "all", ListQuery{Page: 1, From: from, To: to}); err != nil {
		t.Fatal(err)
	}
	if want := "from=1712000000&page=1&to=1712600000"; query != want {
		t.Errorf("query = %q, want %q", query, want)
	}
	last, err := c.PaymentsByStatus(ctx, "paid", ListQuery{})
	if err != nil || last.Next != 0 || last.List == nil {
		t.Errorf("last page = %+v, %v", last, err)
	}
	_, err = c.PaymentsByStatus(ctx, "ready", ListQuery{})
	var pe *Error
	if !errors.As(err, &pe) || pe.HTTPStatus != 400 || pe.Message != MsgUnsupportedStatus {
		t.Errorf("400: err = %v", err)
	}
}

func TestLookupRefusesBadInput(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	c := f.client()
	ctx := context.Background()
	long := strings.Repeat("m", 41)
	ids := make([]string, 101)
	for i := range ids {
		ids[i] = "imp_1"
	}
	for _, tc := range []struct {
		name  string
		call  func() error
		field string
	}{
		{"empty imp_uid", func() error { _, err := c.Payment(ctx, "", false); return err }, "imp_uid"},
		{"imp_uid too long", func() error { _, err := c.Payment(ctx, strings.Repeat("9", 33), false); return err }, "imp_uid"},
		{"imp_uid with newline", func() error { _, err := c.Payment(ctx, "imp_1\n", false); return err }, "imp_uid"},
		{"imp_uid not UTF-8", func() error { _, err := c.Payment(ctx, "imp_\xff", false); return err }, "imp_uid"},
		{"no ids", func() error { _, err := c.Payments(ctx, nil, nil); return err }, "imp_uid[]"},
		{"101 ids", func() error { _, err := c.Payments(ctx, ids, nil); return err }, "imp_uid[]"},
		{"empty id in batch", func() error { _, err := c.Payments(ctx, []string{"imp_1", ""}, nil); return err }, "imp_uid"},
		{"merchant_uid 41 chars", func() error { _, err := c.FindPayment(ctx, long, ""); return err }, "merchant_uid"},
		{"empty merchant_uid", func() error { _, err := c.FindAllPayments(ctx, "", "", ListQuery{}); return err }, "merchant_uid"},
		{"bad status", func() error { _, err := c.FindPayment(ctx, "o", "canceled"); return err }, "payment_status"},
		{"bad sorting", func() error { _, err := c.FindPaymentSorted(ctx, "o", "", "newest"); return err }, "sorting"},
		{"status all on find", func() error { _, err := c.FindPayment(ctx, "o", "all"); return err }, "payment_status"},
		{"empty status", func() error { _, err := c.PaymentsByStatus(ctx, "", ListQuery{}); return err }, "payment_status"},
		{"negative page", func() error { _, err := c.PaymentsByStatus(ctx, "all", ListQuery{Page: -1}); return err }, "page"},
		{"limit 1001", func() error { _, err := c.PaymentsByStatus(ctx, "all", ListQuery{Limit: 1001}); return err }, "limit"},
		{"from after to", func() error {
			_, err := c.PaymentsByStatus(ctx, "all", ListQuery{From: time.Unix(2, 0), To: time.Unix(1, 0)})
			return err
		}, "from"},
		{"91 days", func() error {
			_, err := c.PaymentsByStatus(ctx, "all", ListQuery{From: time.Unix(0, 0), To: time.Unix(0, 0).Add(91 * 24 * time.Hour)})
			return err
		}, "from"},
		{"range on findAll", func() error {
			_, err := c.FindAllPayments(ctx, "o", "", ListQuery{From: time.Unix(1, 0)})
			return err
		}, "from"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			var ie *InputError
			if !errors.As(err, &ie) || ie.Field != tc.field {
				t.Fatalf("err = %v, want an InputError on %s", err, tc.field)
			}
			if !strings.HasPrefix(err.Error(), "portone: invalid "+tc.field+": ") {
				t.Errorf("error text %q", err)
			}
		})
	}
	if n := f.tokenCalls.Load(); n != 0 {
		t.Errorf("bad input reached the server (%d getToken calls)", n)
	}
}
