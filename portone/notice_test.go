package portone

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func ptr[T any](v T) *T { return &v }

func sameRedirect(a, b *Redirect) bool {
	if (a.Success == nil) != (b.Success == nil) || (a.Success != nil && *a.Success != *b.Success) {
		return false
	}
	x, y := *a, *b
	x.Success, y.Success = nil, nil
	return x == y
}

func TestParseRedirect(t *testing.T) {
	t.Parallel()
	const ret = "https://shop.example/pay/return"
	for _, tc := range []struct {
		name   string
		method string
		target string // path and query
		body   string // form body, POST only
		want   Redirect
	}{
		{"success with imp_success", "GET", "?imp_uid=imp_123456789012&merchant_uid=order_0001&imp_success=true",
			"", Redirect{ImpUID: "imp_123456789012", MerchantUID: "order_0001", Success: ptr(true), SuccessKey: "imp_success"}},
		{"failure with error", "GET", "?imp_uid=imp_123456789012&merchant_uid=order_0001&imp_success=false&error_code=F0005&error_msg=%EC%82%AC%EC%9A%A9%EC%9E%90%EA%B0%80+%EA%B2%B0%EC%A0%9C%EB%A5%BC+%EC%B7%A8%EC%86%8C%ED%95%98%EC%85%A8%EC%8A%B5%EB%8B%88%EB%8B%A4",
			"", Redirect{ImpUID: "imp_123456789012", MerchantUID: "order_0001", Success: ptr(false), SuccessKey: "imp_success", ErrorCode: "F0005", ErrorMsg: "사용자가 결제를 취소하셨습니다"}},
		{"success key instead", "GET", "?imp_uid=imp_1&merchant_uid=o1&success=true",
			"", Redirect{ImpUID: "imp_1", MerchantUID: "o1", Success: ptr(true), SuccessKey: "success"}},
		{"success=false", "GET", "?imp_uid=imp_1&merchant_uid=o1&success=false",
			"", Redirect{ImpUID: "imp_1", MerchantUID: "o1", Success: ptr(false), SuccessKey: "success"}},
		{"imp_success wins over success", "GET", "?imp_uid=imp_1&merchant_uid=o1&success=true&imp_success=false",
			"", Redirect{ImpUID: "imp_1", MerchantUID: "o1", Success: ptr(false), SuccessKey: "imp_success"}},
		{"neither flag (new SDK modules, Inicis transfer)", "GET", "?imp_uid=imp_1&merchant_uid=o1",
			"", Redirect{ImpUID: "imp_1", MerchantUID: "o1"}},
		{"flag that is not a boolean", "GET", "?imp_uid=imp_1&merchant_uid=o1&imp_success=maybe",
			"", Redirect{ImpUID: "imp_1", MerchantUID: "o1", SuccessKey: "imp_success"}},
		{"empty flag", "GET", "?imp_uid=imp_1&merchant_uid=o1&imp_success=",
			"", Redirect{ImpUID: "imp_1", MerchantUID: "o1", SuccessKey: "imp_success"}},
		{"empty imp_uid: window never opened", "GET", "?imp_uid=&merchant_uid=o1&imp_success=false&error_msg=PG+error",
			"", Redirect{MerchantUID: "o1", Success: ptr(false), SuccessKey: "imp_success", ErrorMsg: "PG error"}},
		{"missing imp_uid", "GET", "?merchant_uid=o1",
			"", Redirect{MerchantUID: "o1"}},
		{"missing merchant_uid", "GET", "?imp_uid=imp_1&imp_success=true",
			"", Redirect{ImpUID: "imp_1", Success: ptr(true), SuccessKey: "imp_success"}},
		{"repeated merchant_uid takes the first", "GET", "?imp_uid=imp_1&merchant_uid=first&merchant_uid=second",
			"", Redirect{ImpUID: "imp_1", MerchantUID: "first"}},
		{"merchant's own query kept apart", "GET", "?utm_source=mobile&imp_uid=imp_1&merchant_uid=o1&imp_success=true",
			"", Redirect{ImpUID: "imp_1", MerchantUID: "o1", Success: ptr(true), SuccessKey: "imp_success"}},
		{"URL-encoded Korean and symbols", "GET", "?imp_uid=imp_1&merchant_uid=%EC%A3%BC%EB%AC%B8+1%2F2%26x",
			"", Redirect{ImpUID: "imp_1", MerchantUID: "주문 1/2&x"}},
		{"whole query encoded as one key", "GET", "?imp_uid%3Dimp_1%26merchant_uid%3Do1%26imp_success%3Dtrue",
			"", Redirect{ImpUID: "imp_1", MerchantUID: "o1", Success: ptr(true), SuccessKey: "imp_success"}},
		{"POST re-issue (iOS WebView, Inicis transfer)", "POST", "",
			"imp_uid=imp_1&merchant_uid=o1&merchant_uid=o1", Redirect{ImpUID: "imp_1", MerchantUID: "o1"}},
		{"POST with the query in the URL", "POST", "?imp_uid=imp_1&merchant_uid=o1&imp_success=true",
			"", Redirect{ImpUID: "imp_1", MerchantUID: "o1", Success: ptr(true), SuccessKey: "imp_success"}},
		{"POST body before query", "POST", "?merchant_uid=from_query",
			"merchant_uid=from_body&imp_uid=imp_1", Redirect{ImpUID: "imp_1", MerchantUID: "from_body"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r *http.Request
			if tc.method == "POST" {
				r = httptest.NewRequest("POST", ret+tc.target, strings.NewReader(tc.body))
				if tc.body != "" {
					r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
				}
			} else {
				r = httptest.NewRequest("GET", ret+tc.target, nil)
			}
			got, err := ParseRedirect(r)
			if err != nil {
				t.Fatal(err)
			}
			if !sameRedirect(got, &tc.want) {
				t.Errorf("got  %+v (success %v)\nwant %+v (success %v)", *got, deref(got.Success), tc.want, deref(tc.want.Success))
			}
		})
	}
}

func deref(b *bool) any {
	if b == nil {
		return nil
	}
	return *b
}

func TestParseRedirectRefuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, method, target, body, want string
	}{
		{"no ids", "GET", "/?imp_success=true", "", "neither imp_uid nor merchant_uid"},
		{"both empty", "GET", "/?imp_uid=&merchant_uid=", "", "neither imp_uid nor merchant_uid"},
		{"empty query", "GET", "/", "", "neither imp_uid nor merchant_uid"},
		{"merchant_uid too long", "GET", "/?merchant_uid=" + strings.Repeat("x", 41), "", "merchant_uid: 41 characters, more than 40"},
		{"imp_uid too long", "GET", "/?imp_uid=" + strings.Repeat("1", 33), "", "imp_uid: 33 characters, more than 32"},
		{"control character", "GET", "/?imp_uid=imp_1%0d%0aSet-Cookie:x", "", "control character"},
		{"invalid UTF-8", "GET", "/?merchant_uid=%ff", "", "not valid UTF-8"},
		{"PUT", "PUT", "/?imp_uid=imp_1", "", "method PUT"},
		{"malformed POST body", "POST", "/", "imp_uid=%zz", "reading the form"},
		{"oversize POST body", "POST", "/", "imp_uid=imp_1&pad=" + strings.Repeat("a", MaxNoticeBytes), "reading the form"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, "http://shop.example"+tc.target, strings.NewReader(tc.body))
			if tc.body != "" {
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			_, err := ParseRedirect(r)
			if !errors.Is(err, ErrInvalidNotice) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want ErrInvalidNotice mentioning %q", err, tc.want)
			}
		})
	}
}

func TestParseRedirectValuesFirstValue(t *testing.T) {
	t.Parallel()
	rd, err := ParseRedirectValues(url.Values{"imp_uid": {"imp_a", "imp_b"}, "merchant_uid": {"m1", "m2"}, "success": {"TRUE"}})
	if err != nil {
		t.Fatal(err)
	}
	if rd.ImpUID != "imp_a" || rd.MerchantUID != "m1" || rd.Success == nil || !*rd.Success {
		t.Errorf("got %+v", rd)
	}
}

func TestParseWebhook(t *testing.T) {
	t.Parallel()
	paid := Webhook{ImpUID: "imp_123456789012", MerchantUID: "order_0001", Status: StatusPaid}
	for _, tc := range []struct {
		name, contentType, body string
		want                    Webhook
	}{
		{"JSON", "application/json", string(fixture(t, "webhook_paid.json")), paid},
		{"JSON with charset", "application/json; charset=utf-8", string(fixture(t, "webhook_paid.json")), paid},
		{"JSON upper-case type", "Application/JSON;charset=UTF-8", string(fixture(t, "webhook_paid.json")), paid},
		{"form", "application/x-www-form-urlencoded", string(fixture(t, "webhook_paid.form")), paid},
		{"form with charset", "application/x-www-form-urlencoded; charset=UTF-8", string(fixture(t, "webhook_paid.form")), paid},
		{"vbank issued", "application/x-www-form-urlencoded", string(fixture(t, "webhook_vbank_ready.form")),
			Webhook{ImpUID: "imp_323456789012", MerchantUID: "order_0003", Status: StatusReady}},
		{"cancelled with cancellation_id", "application/json", string(fixture(t, "webhook_cancelled.json")),
			Webhook{ImpUID: "imp_223456789012", MerchantUID: "order_0002", Status: StatusCancelled, CancellationID: "cancel-1712300000-a1"}},
		{"cancellation_id in a form", "application/x-www-form-urlencoded", "imp_uid=imp_1&merchant_uid=o&status=cancelled&cancellation_id=c1",
			Webhook{ImpUID: "imp_1", MerchantUID: "o", Status: StatusCancelled, CancellationID: "c1"}},
		{"unknown JSON keys", "application/json", `{"imp_uid":"imp_1","merchant_uid":"o","status":"paid","tier":"001","extra":{"a":[1,2]},"sandbox":true}`,
			Webhook{ImpUID: "imp_1", MerchantUID: "o", Status: StatusPaid}},
		{"unknown form keys", "application/x-www-form-urlencoded", "foo=bar&imp_uid=imp_1&merchant_uid=o&status=paid",
			Webhook{ImpUID: "imp_1", MerchantUID: "o", Status: StatusPaid}},
		{"repeated form key takes the first", "application/x-www-form-urlencoded", "imp_uid=imp_1&imp_uid=imp_2&merchant_uid=o&status=paid",
			Webhook{ImpUID: "imp_1", MerchantUID: "o", Status: StatusPaid}},
		{"URL-encoded Korean merchant_uid", "application/x-www-form-urlencoded", "imp_uid=imp_1&merchant_uid=%EC%A3%BC%EB%AC%B8-1&status=paid",
			Webhook{ImpUID: "imp_1", MerchantUID: "주문-1", Status: StatusPaid}},
		{"escaped JSON (PHP style)", "application/json", `{"imp_uid":"imp_1","merchant_uid":"\uc8fc\ubb38\/1","status":"paid"}`,
			Webhook{ImpUID: "imp_1", MerchantUID: "주문/1", Status: StatusPaid}},
		{"numeric merchant_uid", "application/json", `{"imp_uid":"imp_1","merchant_uid":20240404001,"status":"paid"}`,
			Webhook{ImpUID: "imp_1", MerchantUID: "20240404001", Status: StatusPaid}},
		{"null merchant_uid", "application/json", `{"imp_uid":"imp_1","merchant_uid":null,"status":"paid"}`,
			Webhook{ImpUID: "imp_1", Status: StatusPaid}},
		{"no status", "application/json", `{"imp_uid":"imp_1","merchant_uid":"o"}`,
			Webhook{ImpUID: "imp_1", MerchantUID: "o"}},
		{"JSON without Content-Type", "", string(fixture(t, "webhook_paid.json")), paid},
		{"form as text/plain", "text/plain", string(fixture(t, "webhook_paid.form")), paid},
		{"bad Content-Type, JSON body", ";;;", string(fixture(t, "webhook_paid.json")), paid},
		{"UTF-8 BOM and whitespace", "application/json", "\xef\xbb\xbf \n" + string(fixture(t, "webhook_paid.json")), paid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseWebhook(tc.contentType, []byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if *got != tc.want {
				t.Errorf("got %+v, want %+v", *got, tc.want)
			}
		})
	}
}

func TestParseWebhookRefuses(t *testing.T) {
	t.Parallel()
	const jsonType, formType = "application/json", "application/x-www-form-urlencoded"
	for _, tc := range []struct {
		name, contentType, body, want string
	}{
		{"empty body", jsonType, "", "empty body"},
		{"blank body", formType, " \r\n", "empty body"},
		{"malformed JSON", jsonType, `{"imp_uid":"imp_1",`, "malformed JSON"},
		{"JSON array", jsonType, `[{"imp_uid":"imp_1","merchant_uid":"o","status":"paid"}]`, "JSON array"},
		{"JSON array without type", "", `[{"imp_uid":"imp_1"}]`, "JSON array"},
		{"JSON string", jsonType, `"imp_1"`, "not a JSON object"},
		{"form sent as JSON", jsonType, "imp_uid=imp_1&merchant_uid=o", "not a JSON object"},
		{"no ids in JSON", jsonType, `{"status":"paid"}`, "neither imp_uid nor merchant_uid"},
		{"empty ids", jsonType, `{"imp_uid":"","merchant_uid":"","status":"paid"}`, "neither imp_uid nor merchant_uid"},
		{"no known form keys", formType, "hello=world", "none of imp_uid"},
		{"plain text", "text/plain", "hello", "none of imp_uid"},
		{"malformed form", formType, "imp_uid=%zz&status=paid", "malformed form"},
		{"invalid status", jsonType, `{"imp_uid":"imp_1","merchant_uid":"o","status":"canceled"}`, `status "canceled"`},
		{"upper-case status", formType, "imp_uid=imp_1&merchant_uid=o&status=PAID", `status "PAID"`},
		{"id of the wrong type", jsonType, `{"imp_uid":{"$ne":null},"merchant_uid":"o"}`, "imp_uid"},
		{"boolean id", jsonType, `{"imp_uid":true,"merchant_uid":"o"}`, "is not a string"},
		{"oversize imp_uid", jsonType, `{"imp_uid":"` + strings.Repeat("9", 33) + `","merchant_uid":"o","status":"paid"}`, "imp_uid: 33 characters"},
		{"oversize merchant_uid", formType, "imp_uid=imp_1&merchant_uid=" + strings.Repeat("x", 41), "merchant_uid: 41 characters"},
		{"oversize cancellation_id", formType, "imp_uid=imp_1&cancellation_id=" + strings.Repeat("c", 129), "cancellation_id: 129 characters"},
		{"newline in id", jsonType, `{"imp_uid":"imp_1\n","merchant_uid":"o\u0000"}`, "control character"},
		{"oversize body", jsonType, `{"imp_uid":"imp_1","pad":"` + strings.Repeat("a", MaxNoticeBytes) + `"}`, "more than"},
		{"multipart", "multipart/form-data; boundary=x", "--x--", "multipart"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := ParseWebhook(tc.contentType, []byte(tc.body))
			if !errors.Is(err, ErrInvalidNotice) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParseWebhook = %+v, %v; want ErrInvalidNotice mentioning %q", w, err, tc.want)
			}
		})
	}
}
