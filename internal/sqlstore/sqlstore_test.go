package sqlstore

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/payresult/payresult"
)

func TestValidChangeNamesItsStore(t *testing.T) {
	err := ValidChange(&payresult.Change{}, "somestore: apply")
	var pe *payresult.Error
	if !errors.As(err, &pe) || pe.Kind != payresult.KindInvalid {
		t.Fatalf("ValidChange(empty) = %v, want KindInvalid", err)
	}
	if !strings.HasPrefix(err.Error(), "somestore: apply: empty change") {
		t.Errorf("ValidChange(empty) = %q, want the store's prefix", err)
	}
}

func TestParseVbankKeepsMicroseconds(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 6789, time.FixedZone("KST", 9*3600))
	b, err := VbankJSON(&payresult.VirtualAccount{Deadline: at, IssuedAt: at})
	if err != nil {
		t.Fatal(err)
	}
	v, err := ParseVbank(b.([]byte))
	if err != nil {
		t.Fatal(err)
	}
	want := at.Truncate(time.Microsecond).UTC()
	if !v.Deadline.Equal(want) || v.Deadline.Location() != time.UTC || !v.IssuedAt.Equal(want) {
		t.Errorf("ParseVbank = %v, %v; want %v in UTC", v.Deadline, v.IssuedAt, want)
	}
	if v, err := ParseVbank(nil); v != nil || err != nil {
		t.Errorf("ParseVbank(nil) = %v, %v", v, err)
	}
}

func TestListLimit(t *testing.T) {
	tests := []struct {
		name      string
		limit     int
		want      int
		wantError bool
	}{
		{name: "zero means the default", limit: 0, want: 50},
		{name: "within range", limit: 7, want: 7},
		{name: "capped", limit: MaxListLimit + 1, want: MaxListLimit},
		{name: "negative refused", limit: -1, wantError: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ListLimit(tt.limit, 50, "test")
			if tt.wantError {
				if payresult.KindOf(err) != payresult.KindInvalid || !strings.HasPrefix(err.Error(), "test: ") {
					t.Fatalf("ListLimit(%d) = %d, %v; want a KindInvalid error prefixed with the store", tt.limit, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ListLimit(%d) = %d, %v; want %d", tt.limit, got, err, tt.want)
			}
		})
	}
}

func TestApplied(t *testing.T) {
	c := &payresult.Change{
		FromVersion: 4,
		Order:       &payresult.Order{Version: 4},
		Events:      []payresult.Event{{ID: "a"}, {ID: "b", State: payresult.DeliveryDead}},
	}
	Applied(c, []int64{10, 11})
	if c.Order.Version != 5 {
		t.Errorf("order version = %d, want 5", c.Order.Version)
	}
	if c.Events[0].Seq != 10 || c.Events[1].Seq != 11 {
		t.Errorf("seqs = %d, %d; want 10, 11", c.Events[0].Seq, c.Events[1].Seq)
	}
	if c.Events[0].State != payresult.DeliveryPending || c.Events[1].State != payresult.DeliveryDead {
		t.Errorf("states = %s, %s; want pending (defaulted), dead (kept)", c.Events[0].State, c.Events[1].State)
	}
}
