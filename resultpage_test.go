package payresult

import "testing"

// TestViewOfRefunds: a partial refund has its own page, so that the buyer
// is not told that the whole payment was cancelled; both go to the
// success URL, as the order was paid.
func TestViewOfRefunds(t *testing.T) {
	tests := []struct {
		status Status
		page   ResultPage
	}{
		{StatusPartiallyRefunded, PagePartiallyRefunded},
		{StatusRefunded, PageRefunded},
	}
	for _, tt := range tests {
		t.Run(string(tt.status), func(t *testing.T) {
			o := &Order{MerchantUID: "o1", Status: tt.status, SuccessURL: "https://s/ok", FailURL: "https://s/fail"}
			v := ViewOf("o1", o, nil, "")
			if v.Page != tt.page || v.AppURL() != "https://s/ok" {
				t.Errorf("ViewOf(%s) = page %s, app URL %q; want %s, https://s/ok", tt.status, v.Page, v.AppURL(), tt.page)
			}
		})
	}
	if PagePartiallyRefunded.Title() == PageRefunded.Title() {
		t.Errorf("a partial refund is headed like a full one: %q", PageRefunded.Title())
	}
}
