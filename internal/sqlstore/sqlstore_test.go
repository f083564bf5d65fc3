package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/payresult/payresult"
)

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

// TestClassify checks the shared half of the stores' error mapping: a
// payresult error passes through, an ended context is transient whatever
// the driver says, and anything else gets the store's own kind.
func TestClassify(t *testing.T) {
	driver := func(error) payresult.ErrorKind { return payresult.KindConflict }
	own := payresult.Errorf(payresult.KindNotFound, "no order")
	tests := []struct {
		name string
		err  error
		want payresult.ErrorKind
	}{
		{"nil", nil, ""},
		{"payresult error", fmt.Errorf("wrapped: %w", own), payresult.KindNotFound},
		{"ended context", fmt.Errorf("begin: %w", context.DeadlineExceeded), payresult.KindTransient},
		{"cancelled", context.Canceled, payresult.KindTransient},
		{"driver error", errors.New("unique violation"), payresult.KindConflict},
	}
	for _, tt := range tests {
		got := Classify(tt.err, driver, "test: %s", tt.name)
		if payresult.KindOf(got) != tt.want {
			t.Errorf("%s: Classify = %v (kind %q), want kind %q", tt.name, got, payresult.KindOf(got), tt.want)
		}
		if tt.want == payresult.KindConflict && !strings.HasPrefix(got.Error(), "test: driver error: ") {
			t.Errorf("%s: Classify = %q, want the store's message first", tt.name, got)
		}
	}
}
