package portone

import (
	"encoding/json"
	"math"
	"testing"
)

func TestParseAmount(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in     string
		scaled int64
		str    string
	}{
		{"0", 0, "0"},
		{"1000", 10000000, "1000"},
		{"12.5", 125000, "12.5"},
		{"12.50", 125000, "12.5"},
		{"12.50000000", 125000, "12.5"}, // trailing zeros beyond 4 places are harmless
		{"0.0001", 1, "0.0001"},
		{"-3", -30000, "-3"},
		{"+7", 70000, "7"},
		{"-0.25", -2500, "-0.25"},
		{"007", 70000, "7"},
		{"922337203685477", 9223372036854770000, "922337203685477"},
		{"922337203685477.5807", math.MaxInt64, "922337203685477.5807"},
	} {
		a, err := ParseAmount(tc.in)
		if err != nil {
			t.Errorf("ParseAmount(%q): %v", tc.in, err)
			continue
		}
		if a.Scaled() != tc.scaled || a.String() != tc.str {
			t.Errorf("ParseAmount(%q) = %d %q, want %d %q", tc.in, a.Scaled(), a, tc.scaled, tc.str)
		}
	}
	for _, in := range []string{
		"", "-", "+", ".5", "5.", "1.2.3", "1e3", "0x10", " 1", "1 ", "1,000", "12.34567",
		"922337203685477.5808", "922337203685478", "99999999999999999999", "NaN", "Inf", "--1", "1-",
	} {
		if a, err := ParseAmount(in); err == nil {
			t.Errorf("ParseAmount(%q) = %s, want an error", in, a)
		}
	}
}

func TestAmountString(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a    Amount
		want string
	}{
		{Amount{}, "0"},
		{Won(-5), "-5"},
		{AmountFromScaled(1), "0.0001"},
		{AmountFromScaled(-1), "-0.0001"},
		{AmountFromScaled(105000), "10.5"},
		{AmountFromScaled(math.MinInt64), "-922337203685477.5808"},
	} {
		if got := tc.a.String(); got != tc.want {
			t.Errorf("String(%d) = %q, want %q", tc.a.Scaled(), got, tc.want)
		}
	}
}

func TestAmountArithmetic(t *testing.T) {
	t.Parallel()
	a, b := MustParseAmount("10.5"), MustParseAmount("0.25")
	if got := a.Add(b).String(); got != "10.75" {
		t.Errorf("Add = %s", got)
	}
	if got := a.Sub(b).String(); got != "10.25" {
		t.Errorf("Sub = %s", got)
	}
	if a.Cmp(b) != 1 || b.Cmp(a) != -1 || a.Cmp(a) != 0 {
		t.Error("Cmp")
	}
	if n, whole := Won(50000).Int64(); n != 50000 || !whole {
		t.Errorf("Int64 = %d %v", n, whole)
	}
	if n, whole := a.Int64(); n != 10 || whole {
		t.Errorf("Int64(10.5) = %d %v", n, whole)
	}
	if !(Amount{}).IsZero() || Won(1).IsZero() || Won(-1).Sign() != -1 || (Amount{}).Sign() != 0 {
		t.Error("IsZero/Sign")
	}
	// 0.1 + 0.2 is exactly 0.3, unlike with float64.
	if MustParseAmount("0.1").Add(MustParseAmount("0.2")) != MustParseAmount("0.3") {
		t.Error("0.1 + 0.2 != 0.3")
	}
	defer func() {
		if recover() == nil {
			t.Error("MustParseAmount did not panic")
		}
	}()
	MustParseAmount("x")
}

func TestAmountJSON(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want string
	}{
		{`100`, "100"},
		{`10.5`, "10.5"},
		{`"1000"`, "1000"}, // form echoes
		{`null`, "0"},
		{`1e3`, "1000"},
		{`1.5E2`, "150"},
		{`0`, "0"},
		{`-10`, "-10"},
	} {
		var a Amount
		if err := json.Unmarshal([]byte(tc.in), &a); err != nil {
			t.Errorf("Unmarshal(%s): %v", tc.in, err)
			continue
		}
		if a.String() != tc.want {
			t.Errorf("Unmarshal(%s) = %s, want %s", tc.in, a, tc.want)
		}
	}
	for _, in := range []string{`true`, `"abc"`, `""`, `{}`, `[1]`, `1e-5`, `1.23456`, `1e400`} {
		var a Amount
		if err := json.Unmarshal([]byte(in), &a); err == nil {
			t.Errorf("Unmarshal(%s) = %s, want an error", in, a)
		}
	}
	// Money goes out as a JSON number, never a string or 100.0.
	b, err := json.Marshal(struct {
		A Amount  `json:"a"`
		B *Amount `json:"b,omitempty"`
		C Amount  `json:"c"`
	}{A: Won(100), B: AmountPtr(MustParseAmount("0.5")), C: MustParseAmount("-12.34")})
	if err != nil || string(b) != `{"a":100,"b":0.5,"c":-12.34}` {
		t.Errorf("Marshal = %s, %v", b, err)
	}
	var back struct{ A, B, C Amount }
	if err := json.Unmarshal(b, &back); err != nil || back.A != Won(100) || back.B != MustParseAmount("0.5") || back.C != MustParseAmount("-12.34") {
		t.Errorf("round trip = %+v, %v", back, err)
	}
	var txt Amount
	if err := txt.UnmarshalText([]byte("12.5")); err != nil || txt.String() != "12.5" {
		t.Errorf("UnmarshalText = %s, %v", txt, err)
	}
	if b, _ := txt.MarshalText(); string(b) != "12.5" {
		t.Errorf("MarshalText = %s", b)
	}
	if err := txt.UnmarshalText([]byte("x")); err == nil {
		t.Error("UnmarshalText(x): want an error")
	}
}
