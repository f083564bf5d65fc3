package portone

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestTimeJSON(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want Time
	}{
		{`1663830095`, 1663830095},
		{`0`, 0},
		{`null`, 0},
		{`1.663830095e9`, 1663830095},
		{`1663830095.0`, 1663830095},
		{`"1663830095"`, 1663830095},
	} {
		var got Time
		if err := json.Unmarshal([]byte(tc.in), &got); err != nil || got != tc.want {
			t.Errorf("Unmarshal(%s) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{`1663830095.5`, `"soon"`, `true`, `{}`, `""`} {
		var got Time
		if err := json.Unmarshal([]byte(in), &got); err == nil {
			t.Errorf("Unmarshal(%s) = %d, want an error", in, got)
		}
	}
	if b, _ := json.Marshal(Time(1663830095)); string(b) != "1663830095" {
		t.Errorf("Marshal = %s, want the integer", b)
	}
}

func TestTimeConversions(t *testing.T) {
	t.Parallel()
	if !Time(0).IsZero() || !Time(0).Time().IsZero() {
		t.Error("0 is not the zero time")
	}
	at := time.Date(2022, 9, 22, 7, 45, 43, 0, time.UTC)
	if got := TimeOf(at); got != 1663832743 || !got.Time().Equal(at) {
		t.Errorf("TimeOf = %d (%v)", got, got.Time())
	}
	if TimeOf(time.Time{}) != 0 {
		t.Error("TimeOf(zero) != 0")
	}
}

func TestNullString(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want NullString
	}{
		{`null`, NullString{}},
		{`""`, NullString{String: "", Valid: true}}, // KakaoPay's apply_num
		{`"KB\uad6d\ubbfc\uce74\ub4dc"`, NewNullString("KB국민카드")},
		{`"https:\/\/admin8.kcp.co.kr"`, NewNullString("https://admin8.kcp.co.kr")},
	} {
		var got NullString
		if err := json.Unmarshal([]byte(tc.in), &got); err != nil || got != tc.want {
			t.Errorf("Unmarshal(%s) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{`1`, `true`, `{}`, `["a"]`} {
		var got NullString
		if err := json.Unmarshal([]byte(in), &got); err == nil {
			t.Errorf("Unmarshal(%s) = %+v, want an error", in, got)
		}
	}
	b, _ := json.Marshal([]NullString{{}, NewNullString(""), NewNullString("a\"b")})
	if string(b) != `[null,"","a\"b"]` {
		t.Errorf("Marshal = %s", b)
	}
}

func TestStatusValid(t *testing.T) {
	t.Parallel()
	for _, s := range []Status{StatusReady, StatusPaid, StatusFailed, StatusCancelled} {
		if !s.Valid() {
			t.Errorf("%s not valid", s)
		}
	}
	for _, s := range []Status{"", "canceled", "PAID", "all", "partial_cancelled"} {
		if s.Valid() {
			t.Errorf("%q valid", s)
		}
	}
}

func TestPaymentRoundTrip(t *testing.T) {
	t.Parallel()
	// Marshalling a decoded payment gives PortOne's bytes back (modulo
	// PHP's escaping), so stores can keep the raw JSON faithfully.
	var env envelope[*Payment]
	raw := fixture(t, "payment_cancelled_kcp.json")
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	json.Unmarshal(raw, &a)
	json.Unmarshal(got, &b)
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Errorf("round trip differs:\n%s\n%s", ja, jb)
	}
}

func TestDecodeCustomData(t *testing.T) {
	t.Parallel()
	p := &Payment{ImpUID: "imp_1", CustomData: NewNullString(`{"a":1}`)}
	var m map[string]int
	if err := p.DecodeCustomData(&m); err != nil || m["a"] != 1 {
		t.Errorf("object: %v %v", m, err)
	}
	p.CustomData = NewNullString("plain text")
	var s string
	if err := p.DecodeCustomData(&s); err != nil || s != "plain text" {
		t.Errorf("plain string: %q %v", s, err)
	}
	if err := p.DecodeCustomData(&m); err == nil || !strings.Contains(err.Error(), "imp_1") {
		t.Errorf("not JSON into a map: err = %v", err)
	}
	p.CustomData = NullString{}
	if err := p.DecodeCustomData(&m); err == nil {
		t.Error("null custom_data: want an error")
	}
}

// BenchmarkDecodePayment decodes one payment answer as decode does.
func BenchmarkDecodePayment(b *testing.B) {
	body := fixture(b, "payment_cancelled_kcp.json")
	r := &call{method: "GET", path: "/payments/imp_803037736674"}
	resp := &response{status: 200, body: body}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var p *Payment
		if err := decode(r, resp, &p, false); err != nil {
			b.Fatal(err)
		}
	}
}

// TestNullStringAndTimeFastPaths checks that the direct decoding of plain
// strings and integer timestamps agrees with the general one.
func TestNullStringAndTimeFastPaths(t *testing.T) {
	for _, in := range []string{`"plain"`, `""`, `"카드 결제"`, `"a\"b"`, `"line\nbreak"`, `"\u00e9"`, "\"bad \xff utf8\"", `null`} {
		var got NullString
		if err := json.Unmarshal([]byte(in), &got); err != nil {
			t.Fatalf("NullString %s: %v", in, err)
		}
		var want *string
		if err := json.Unmarshal([]byte(in), &want); err != nil {
			t.Fatalf("string %s: %v", in, err)
		}
		if (want == nil) == got.Valid || (want != nil && *want != got.String) {
			t.Errorf("NullString %s = %+v, want %v", in, got, want)
		}
	}
	for in, want := range map[string]Time{`1700000000`: 1700000000, `0`: 0, `-5`: -5, `1.7e9`: 1700000000, `null`: 0} {
		var got Time
		if err := json.Unmarshal([]byte(in), &got); err != nil || got != want {
			t.Errorf("Time %s = %d, %v; want %d", in, got, err, want)
		}
	}
}
