package admin

import (
	"html/template"
	"strconv"
	"time"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/portone"
)

// kst is Korea Standard Time, the zone PortOne and its merchants work in.
var kst = time.FixedZone("KST", 9*60*60)

// funcs are the templates' helpers.
var funcs = template.FuncMap{
	"when":   when,
	"ago":    ago,
	"money":  money,
	"utc":    func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"status": func(s payresult.Status) string { return string(s) },
}

// when writes a time for an operator, in KST to the second; "—" for none.
func when(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(kst).Format("2006-01-02 15:04:05")
}

// ago writes how long before now t was ("3m ago"), or how long after
// ("in 40s").
func ago(t, now time.Time) string {
	if t.IsZero() {
		return ""
	}
	if d := now.Sub(t); d >= 0 {
		return short(d) + " ago"
	}
	return "in " + short(t.Sub(now))
}

// short writes d in its largest unit: 45s, 12m, 5h, 3d.
func short(d time.Duration) string {
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(d/time.Second)) + "s"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + "h"
	}
	return strconv.Itoa(int(d/(24*time.Hour))) + "d"
}

// money writes an amount with its currency: "12000 KRW".
func money(a portone.Amount, currency string) string {
	if currency == "" {
		currency = payresult.DefaultCurrency
	}
	return a.String() + " " + currency
}
