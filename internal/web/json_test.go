package web

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/payresult/payresult"
)

func TestDecodeJSON(t *testing.T) {
	type body struct {
		Name string `json:"name"`
	}
	tests := []struct {
		name, contentType, body string
		want                    payresult.ErrorKind // "" for success
	}{
		{"ok", "application/json", `{"name":"x"}`, ""},
		{"ok with charset", "application/json; charset=utf-8", `{"name":"x"}`, ""},
		{"wrong content type", "text/plain", `{"name":"x"}`, payresult.KindUnsupportedMedia},
		{"no content type", "", `{"name":"x"}`, payresult.KindUnsupportedMedia},
		{"empty", "application/json", ``, payresult.KindInvalid},
		{"bad json", "application/json", `{"name":`, payresult.KindInvalid},
		{"not an object", "application/json", `[1]`, payresult.KindInvalid},
		{"wrong type", "application/json", `{"name":1}`, payresult.KindInvalid},
		{"unknown field", "application/json", `{"name":"x","nmae":"y"}`, payresult.KindInvalid},
		{"two objects", "application/json", `{"name":"x"}{"name":"y"}`, payresult.KindInvalid},
		{"trailing garbage", "application/json", `{"name":"x"} x`, payresult.KindInvalid},
		{"too large", "application/json", `{"name":"` + strings.Repeat("a", maxJSONBytes) + `"}`, payresult.KindTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/api/orders", strings.NewReader(tt.body))
			if tt.contentType != "" {
				r.Header.Set("Content-Type", tt.contentType)
			}
			var b body
			err := decodeJSON(httptest.NewRecorder(), r, &b)
			if got := payresult.KindOf(err); got != tt.want {
				t.Errorf("decodeJSON: kind %q (%v), want %q", got, err, tt.want)
			}
		})
	}
}
