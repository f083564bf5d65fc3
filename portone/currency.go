package portone

import (
	"fmt"
	"strings"
)

// minorUnits maps each ISO 4217 currency code (list one, the currencies
// and funds in use; precious metals and testing codes are left out) to the
// number of decimals of its minor unit. Most currencies count to the
// hundredth; these are the others.
var minorUnits = func() map[string]int {
	m := map[string]int{}
	for _, code := range strings.Fields(`
		AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV
		BRL BSD BTN BWP BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUC CUP CVE
		CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD
		HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD
		LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN
		NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG
		SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD
		TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG ZWL`) {
		m[code] = 2
	}
	for _, code := range strings.Fields(`BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF`) {
		m[code] = 0
	}
	for _, code := range strings.Fields(`BHD IQD JOD KWD LYD OMR TND`) {
		m[code] = 3
	}
	for _, code := range strings.Fields(`CLF UYW`) {
		m[code] = 4
	}
	return m
}()

// MinorUnit returns how many decimals an amount in currency may have, as
// ISO 4217 defines its minor unit: 0 for KRW and JPY, 2 for USD and EUR,
// 3 for KWD. ok is false for a code ISO 4217 does not list (codes are
// upper case).
func MinorUnit(currency string) (decimals int, ok bool) {
	decimals, ok = minorUnits[currency]
	return decimals, ok
}

// CheckMinorUnit reports whether a can be paid in currency: it must count
// in whole minor units of the currency (whole won for KRW, whole yen for
// JPY, cents for USD). The error is an *InputError naming "amount", or
// "currency" when ISO 4217 lists no such currency. The sign is not
// checked: whether a negative or zero amount makes sense is the caller's
// business.
func (a Amount) CheckMinorUnit(currency string) error {
	decimals, ok := MinorUnit(currency)
	if !ok {
		return &InputError{Field: "currency", Reason: fmt.Sprintf("%q is not an ISO 4217 currency code (such as KRW, USD or JPY)", currency)}
	}
	if decimals >= amountDecimals {
		return nil
	}
	step := int64(1)
	for range amountDecimals - decimals {
		step *= 10
	}
	if a.v%step == 0 {
		return nil
	}
	if decimals == 0 {
		return &InputError{Field: "amount", Reason: fmt.Sprintf("%s is not a whole number: %s has no minor unit", a, currency)}
	}
	return &InputError{Field: "amount", Reason: fmt.Sprintf("%s has more than %d decimals: %s counts to %s", a, decimals, currency, Amount{v: step})}
}
