package emulator_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/payresult/payresult/portone"
)

// TestRequestCounts: every REST request is counted by endpoint, paged
// status lists one per page, and the control API answers the counts and
// starts them again.
func TestRequestCounts(t *testing.T) {
	ctx := context.Background()
	e, c, clk := clientFixture(t)
	now := clk.Now()
	var imp string
	for i := range 5 {
		imp = put(t, e, paid("count-"+string(rune('a'+i)), 1000, now.Add(-time.Hour))).ImpUID
	}
	if _, err := c.Payment(ctx, imp, false); err != nil {
		t.Fatal(err)
	}
	q := portone.ListQuery{Page: 1, Limit: 2, From: now.Add(-2 * time.Hour), To: now}
	for {
		page, err := c.PaymentsByStatus(ctx, "paid", q)
		if err != nil {
			t.Fatal(err)
		}
		if page.Next == 0 {
			break
		}
		q.Page = page.Next
	}
	want := map[string]int{"POST /users/getToken": 1, "GET /payments": 1, "GET /payments/status": 3}
	if diff := cmp.Diff(want, e.Requests().ByEndpoint); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}

	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest("GET", "/__emulator/requests?reset=true", nil))
	var got struct {
		Total int `json:"total"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got.Total != 5 {
		t.Errorf("GET /__emulator/requests = %s (%v), want a total of 5", rec.Body, err)
	}
	if n := e.Requests().Total; n != 0 {
		t.Errorf("after ?reset=true the total is %d, want 0", n)
	}
}
