package portone

import (
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits PortOne documents for identifiers.
const (
	MaxMerchantUIDLen = 40  // characters
	MaxImpUIDLen      = 32  // characters; real ones are "imp_" + 12 digits
	MaxBatchIDs       = 100 // ids per GET /payments
	MaxPageLimit      = 1000
	MaxStatusRange    = 90 * 24 * time.Hour
	maxReasonLen      = 256
)

func checkID(field, id string, max int) error {
	switch {
	case id == "":
		return &InputError{Field: field, Reason: "empty"}
	case !utf8.ValidString(id):
		return &InputError{Field: field, Reason: "not valid UTF-8"}
	case utf8.RuneCountInString(id) > max:
		return &InputError{Field: field, Reason: fmt.Sprintf("%d characters, more than %d", utf8.RuneCountInString(id), max)}
	}
	for _, r := range id {
		if unicode.IsControl(r) {
			return &InputError{Field: field, Reason: fmt.Sprintf("contains control character %U", r)}
		}
	}
	return nil
}

func checkImpUID(id string) error      { return checkID("imp_uid", id, MaxImpUIDLen) }
func checkMerchantUID(id string) error { return checkID("merchant_uid", id, MaxMerchantUIDLen) }

func checkStatus(s Status, allowEmpty bool) error {
	if (s == "" && allowEmpty) || s.Valid() {
		return nil
	}
	return &InputError{Field: "payment_status", Reason: fmt.Sprintf("%q is not ready, paid, failed or cancelled", s)}
}

func checkSorting(s Sorting) error {
	switch s {
	case "", SortStartedDesc, SortStartedAsc, SortPaidDesc, SortPaidAsc, SortUpdatedDesc, SortUpdatedAsc:
		return nil
	}
	return &InputError{Field: "sorting", Reason: fmt.Sprintf("%q is not one of -started, started, -paid, paid, -updated, updated", s)}
}

func checkCurrency(cur string) error {
	if cur == "" {
		return nil
	}
	if len(cur) != 3 {
		return &InputError{Field: "currency", Reason: fmt.Sprintf("%q is not a 3-letter ISO 4217 code", cur)}
	}
	for i := 0; i < 3; i++ {
		if cur[i] < 'A' || cur[i] > 'Z' {
			return &InputError{Field: "currency", Reason: fmt.Sprintf("%q is not a 3-letter ISO 4217 code in capitals", cur)}
		}
	}
	return nil
}
