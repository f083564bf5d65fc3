package emulator

import (
	"encoding/json"
	"errors"
	"net/url"
	"sync"
	"testing"

	"github.com/payresult/payresult/internal/openapi"
)

// v1Document is PortOne's V1 OpenAPI document (../shared/reference).
var v1Document = sync.OnceValues(func() (*openapi.Document, error) {
	doc, required, err := openapi.Reference("portone-v1.openapi.json")
	if err != nil && !required && errors.Is(err, openapi.ErrNoReference) {
		return nil, nil
	}
	return doc, err
})

// v1Schema returns PortOne's V1 document, skipping the test when it is not
// beside the module and PAYRESULT_TEST_SCHEMAS does not name it (CI does).
func v1Schema(t *testing.T) *openapi.Document {
	t.Helper()
	doc, err := v1Document()
	if err != nil {
		t.Fatal(err)
	}
	if doc == nil {
		t.Skip("PortOne's V1 schema is not at ../shared/reference; set " + openapi.SchemasEnv)
	}
	return doc
}

// v1Options is how PortOne V1 writes its answers: every field of the
// schema, null when unset. deposit_history is the exception: it appears
// only for fixed virtual accounts with deposits (the protocol reference
// could not confirm its empty form).
var v1Options = openapi.Options{AllProperties: true, Null: true, MayOmit: []string{"deposit_history"}}

// checkV1Answer checks one answer of the REST API against PortOne's V1
// schema, field by field: a success against the operation's response
// schema, a failure (a non-zero code, or an HTTP status the document
// gives no schema for) against the envelope with a null response.
func checkV1Answer(t *testing.T, c apiCall, status int, body string) {
	t.Helper()
	doc := v1Schema(t)
	u, err := url.Parse(c.path)
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		Code     int             `json:"code"`
		Response json.RawMessage `json:"response"`
	}
	if err := json.Unmarshal([]byte(body), &env); err != nil {
		t.Errorf("%s %s: answer is not an envelope: %s", c.method, c.path, body)
		return
	}
	schema, ok := doc.ResponseSchema(c.method, u.Path, status)
	if _, _, known := doc.Operation(c.method, u.Path); !ok || env.Code != 0 {
		if known && string(env.Response) != "null" {
			t.Errorf("%s %s: a failure (HTTP %d, code %d) with response %s, want null", c.method, c.path, status, env.Code, env.Response)
		}
		schema, _ = doc.Named("ResponseAnnotation")
	}
	for _, p := range doc.Check(schema, []byte(body), v1Options) {
		if env.Code != 0 && p == "$.response: not in the schema" {
			continue // the envelope of a failure: response is null
		}
		t.Errorf("%s %s (HTTP %d) differs from PortOne's schema: %s", c.method, c.path, status, p)
	}
}
