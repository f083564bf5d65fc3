package openapi

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// doc is a small OpenAPI 3 document with the constructs PortOne's use.
const doc = `{
  "openapi": "3.0.3",
  "paths": {
    "/payments/{paymentId}": {"get": {"responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Payment"}}}}}}},
    "/payments/{paymentId}/cancel": {"post": {"responses": {}}}
  },
  "components": {"schemas": {
    "Payment": {"oneOf": [{"$ref": "#/components/schemas/Paid"}, {"$ref": "#/components/schemas/Failed"}],
      "discriminator": {"propertyName": "status", "mapping": {"PAID": "#/components/schemas/Paid", "FAILED": "#/components/schemas/Failed"}}},
    "Paid": {"type": "object", "required": ["status", "id", "paidAt", "amount"], "properties": {
      "status": {"type": "string"}, "id": {"type": "string"}, "paidAt": {"type": "string", "format": "date-time"},
      "amount": {"$ref": "#/components/schemas/Amount"}, "currency": {"type": "string", "enum": ["KRW", "USD"]},
      "note": {"type": "string", "nullable": true}}},
    "Failed": {"type": "object", "required": ["status"], "properties": {"status": {"type": "string"}}},
    "Amount": {"type": "object", "required": ["total"], "properties": {"total": {"type": "integer", "format": "int64"}}}
  }}
}`

func load(t *testing.T) *Document {
	t.Helper()
	path := filepath.Join(t.TempDir(), "doc.json")
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestCheck checks that each kind of difference is reported, and that a
// conforming document passes.
func TestCheck(t *testing.T) {
	d := load(t)
	s, ok := d.ResponseSchema("GET", "/payments/pay-1", 200)
	if !ok {
		t.Fatal("no schema for GET /payments/{paymentId} 200")
	}
	tests := []struct {
		name, body string
		want       string // a substring of the one problem; "" for none
	}{
		{"conforms", `{"status":"PAID","id":"p","paidAt":"2026-03-02T01:00:00Z","amount":{"total":1000},"note":null}`, ""},
		{"missing required", `{"status":"PAID","id":"p","amount":{"total":1000}}`, "$.paidAt: missing"},
		{"wrong type", `{"status":"PAID","id":"p","paidAt":"2026-03-02T01:00:00Z","amount":{"total":"1000"}}`, "$.amount.total: string"},
		{"fraction in an integer", `{"status":"PAID","id":"p","paidAt":"2026-03-02T01:00:00Z","amount":{"total":10.5}}`, "$.amount.total: number"},
		{"not in the schema", `{"status":"PAID","id":"p","paidAt":"2026-03-02T01:00:00Z","amount":{"total":1},"extra":1}`, "$.extra: not in the schema"},
		{"bad date-time", `{"status":"PAID","id":"p","paidAt":"yesterday","amount":{"total":1}}`, "not an RFC 3339"},
		{"enum", `{"status":"PAID","id":"p","paidAt":"2026-03-02T01:00:00Z","amount":{"total":1},"currency":"EUR"}`, "not one of"},
		{"unknown variant", `{"status":"PENDING"}`, `status "PENDING" is not one of the union's variants`},
		{"other variant", `{"status":"FAILED"}`, ""},
		{"null where not nullable", `{"status":"PAID","id":null,"paidAt":"2026-03-02T01:00:00Z","amount":{"total":1}}`, "$.id: null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := d.Check(s, []byte(tt.body), Options{})
			switch {
			case tt.want == "" && len(got) > 0:
				t.Errorf("problems %q, want none", got)
			case tt.want != "" && (len(got) != 1 || !strings.Contains(got[0], tt.want)):
				t.Errorf("problems %q, want one containing %q", got, tt.want)
			}
		})
	}
}

// TestAllProperties checks the V1 mode: every declared property present,
// null allowed where not required.
func TestAllProperties(t *testing.T) {
	d := load(t)
	s, _ := d.Named("Paid")
	body := `{"status":"PAID","id":"p","paidAt":"2026-03-02T01:00:00Z","amount":{"total":1},"currency":null}`
	got := d.Check(s, []byte(body), Options{AllProperties: true, Null: true})
	if want := []string{"$.note: missing"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("problems %q, want %q", got, want)
	}
	got = d.Check(s, []byte(body), Options{AllProperties: true, Null: true, MayOmit: []string{"note"}})
	if len(got) != 0 {
		t.Errorf("with note optional: problems %q", got)
	}
}

// TestOperation checks path matching: parameters, literal segments and
// absent trailing parameters.
func TestOperation(t *testing.T) {
	var root map[string]any
	if err := json.Unmarshal([]byte(`{"swagger":"2.0","paths":{
		"/payments/{imp_uid}": {"get": {}},
		"/payments/prepare": {"post": {}},
		"/payments/find/{merchant_uid}/{payment_status}": {"get": {}}}}`), &root); err != nil {
		t.Fatal(err)
	}
	d := &Document{root: root}
	for _, tt := range []struct{ method, path, want string }{
		{"GET", "/payments/imp_1", "/payments/{imp_uid}"},
		{"POST", "/payments/prepare", "/payments/prepare"},
		{"GET", "/payments/find/m1", "/payments/find/{merchant_uid}/{payment_status}"},
		{"GET", "/payments/find/m1/", "/payments/find/{merchant_uid}/{payment_status}"},
		{"GET", "/payments/find/m1/paid", "/payments/find/{merchant_uid}/{payment_status}"},
		{"GET", "/payments/imp_1/nothing", ""},
	} {
		got, _, _ := d.Operation(tt.method, tt.path)
		if got != tt.want {
			t.Errorf("Operation(%s %s) = %q, want %q", tt.method, tt.path, got, tt.want)
		}
	}
}
