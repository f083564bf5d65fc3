package sqlstore

import (
	"errors"
	"strings"
	"testing"
	"time"

	"payresult"
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
