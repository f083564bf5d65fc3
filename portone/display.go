package portone

import "strings"

// Display writes a for a person reading a page: digits grouped by
// thousands, "12,000원" in won (KRW, or no currency given) and
// "1,234.50 USD" in any other currency, with cents shown in pairs.
func (a Amount) Display(currency string) string {
	s := a.String()
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	b.WriteString(sign)
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if frac != "" {
		if len(frac) == 1 {
			frac += "0"
		}
		b.WriteString("." + frac)
	}
	if currency == "" || currency == "KRW" {
		return b.String() + "원"
	}
	return b.String() + " " + currency
}
