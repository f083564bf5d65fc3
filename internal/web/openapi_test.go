package web

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/payresult/payresult"
	"github.com/payresult/payresult/internal/openapi"
	"github.com/payresult/payresult/outbox"
	"github.com/payresult/payresult/portone"
)

// decodeOpenAPI reads the served OpenAPI document into v.
func decodeOpenAPI(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(openAPIDoc, v); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
}

// TestOpenAPIWebhooks checks the document's webhooks section against
// what event delivery sends: one webhook per event type payresult
// produces, and the EventEnvelope schema's properties exactly the JSON
// fields of payresult.EventEnvelope, the delivered body.
func TestOpenAPIWebhooks(t *testing.T) {
	var doc struct {
		Webhooks   map[string]map[string]json.RawMessage `json:"webhooks"`
		Components struct {
			Schemas struct {
				EventEnvelope struct {
					Required   []string                   `json:"required"`
					Properties map[string]json.RawMessage `json:"properties"`
				}
				EventType struct {
					Enum []string `json:"enum"`
				}
			} `json:"schemas"`
		} `json:"components"`
	}
	decodeOpenAPI(t, &doc)
	var types []string
	for _, s := range []payresult.Status{payresult.StatusPaid, payresult.StatusVbankIssued, payresult.StatusFailed,
		payresult.StatusPartiallyRefunded, payresult.StatusRefunded, payresult.StatusForged, payresult.StatusExpired} {
		typ, ok := payresult.EventTypeFor(s)
		if !ok {
			t.Fatalf("no event type for status %s", s)
		}
		types = append(types, string(typ))
	}
	sort.Strings(types)
	var hooks []string
	for name, item := range doc.Webhooks {
		hooks = append(hooks, name)
		if _, ok := item["post"]; !ok {
			t.Errorf("webhook %s has no post operation", name)
		}
	}
	sort.Strings(hooks)
	if diff := cmp.Diff(types, hooks); diff != "" {
		t.Errorf("event types (-) and webhooks (+) differ:\n%s", diff)
	}
	enum := append([]string(nil), doc.Components.Schemas.EventType.Enum...)
	sort.Strings(enum)
	if diff := cmp.Diff(types, enum); diff != "" {
		t.Errorf("event types (-) and the EventType enum (+) differ:\n%s", diff)
	}

	var fields, props []string
	env := reflect.TypeFor[payresult.EventEnvelope]()
	for i := range env.NumField() {
		name, _, _ := strings.Cut(env.Field(i).Tag.Get("json"), ",")
		fields = append(fields, name)
	}
	for name := range doc.Components.Schemas.EventEnvelope.Properties {
		props = append(props, name)
	}
	required := append([]string(nil), doc.Components.Schemas.EventEnvelope.Required...)
	sort.Strings(fields)
	sort.Strings(props)
	sort.Strings(required)
	if diff := cmp.Diff(fields, props); diff != "" {
		t.Errorf("EventEnvelope's JSON fields (-) and its schema's properties (+) differ:\n%s", diff)
	}
	if diff := cmp.Diff(fields, required); diff != "" {
		t.Errorf("EventEnvelope's JSON fields (-) and its schema's required (+) differ:\n%s", diff)
	}
}

// TestDeliveredEventMatchesSchema checks a body event delivery sends
// against the document's EventEnvelope schema, field by field.
func TestDeliveredEventMatchesSchema(t *testing.T) {
	doc, err := openapi.Load("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	schema, ok := doc.Named("EventEnvelope")
	if !ok {
		t.Fatal("openapi.json has no EventEnvelope schema")
	}
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	o := &payresult.Order{
		MerchantUID: "order-1001", Name: "머그컵", Amount: portone.Won(30000), Currency: "KRW",
		Status: payresult.StatusVbankIssued, ImpUID: "imp_380188253111", CreatedAt: at, UpdatedAt: at,
		NextCheckAt: at.Add(time.Minute), Version: 2,
		Vbank: &payresult.VirtualAccount{BankCode: "88", BankName: "신한은행", Number: "56211105948400", Holder: "payresult", Deadline: at.Add(72 * time.Hour)},
	}
	data, err := payresult.EventData(o)
	if err != nil {
		t.Fatal(err)
	}
	ev := &payresult.Event{ID: payresult.EventID(o.MerchantUID, 2, payresult.EventVbankIssued), Type: payresult.EventVbankIssued,
		MerchantUID: o.MerchantUID, CreatedAt: at, Data: data}
	body, err := outbox.Body(ev)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range doc.Check(schema, body, openapi.Options{}) {
		t.Errorf("delivered body against EventEnvelope: %s", p)
	}
}
