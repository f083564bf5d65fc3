// Package openapi checks JSON documents against the schemas of an OpenAPI
// document (Swagger 2.0 or OpenAPI 3), field by field, so that payresult's
// tests can hold the sandbox's answers to PortOne's own published schemas.
//
// It covers what PortOne's documents use: $ref, allOf, oneOf with or
// without a discriminator, type and format, enum, required, nullable,
// properties, items and additionalProperties.
package openapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Schema is one JSON schema object of a document.
type Schema = map[string]any

// Document is a loaded OpenAPI document.
type Document struct {
	root map[string]any
	v3   bool
}

// Load reads the OpenAPI document at path.
func Load(path string) (*Document, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var root map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&root); err != nil {
		return nil, fmt.Errorf("openapi: %s: %w", path, err)
	}
	_, v3 := root["openapi"]
	return &Document{root: root, v3: v3}, nil
}

// SchemasEnv names the environment variable that holds the directory of
// PortOne's reference documents (portone-v1.openapi.json,
// portone-v2.openapi.json). When it is unset, Reference looks for
// ../shared/reference beside the module's root.
const SchemasEnv = "PAYRESULT_TEST_SCHEMAS"

// ErrNoReference means the reference documents were not found.
var ErrNoReference = errors.New("openapi: PortOne's reference schemas not found")

// Reference loads one of PortOne's reference documents by file name. It
// reports whether the directory was named by SchemasEnv, in which case a
// missing document is a failure rather than a reason to skip.
func Reference(name string) (doc *Document, required bool, err error) {
	dir := os.Getenv(SchemasEnv)
	required = dir != ""
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, false, err
		}
		for d := wd; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				dir = filepath.Join(filepath.Dir(d), "shared", "reference")
				break
			}
			if filepath.Dir(d) == d {
				return nil, false, fmt.Errorf("%w: no go.mod above %s", ErrNoReference, wd)
			}
		}
	}
	path := filepath.Join(dir, name)
	if _, err := os.Stat(path); err != nil {
		return nil, required, fmt.Errorf("%w: %v (set %s to their directory)", ErrNoReference, err, SchemasEnv)
	}
	doc, err = Load(path)
	return doc, required, err
}

// Named returns the schema of a component (definitions in Swagger 2.0,
// components.schemas in OpenAPI 3).
func (d *Document) Named(name string) (Schema, bool) {
	var defs any
	if d.v3 {
		defs = dig(d.root, "components", "schemas")
	} else {
		defs = d.root["definitions"]
	}
	s, ok := dig(defs, name).(map[string]any)
	return s, ok
}

// Operation finds the operation that serves method and a concrete path
// (without its query). A template's trailing path parameters may be
// absent, as V1's /payments/find/{merchant_uid}/{payment_status} is also
// served without its status. It returns the template.
func (d *Document) Operation(method, path string) (string, Schema, bool) {
	paths, _ := d.root["paths"].(map[string]any)
	templates := make([]string, 0, len(paths))
	for t := range paths {
		templates = append(templates, t)
	}
	// Literal segments beat parameters: /payments/prepare before /payments/{imp_uid}.
	sort.Slice(templates, func(i, j int) bool {
		return strings.Count(templates[i], "{") < strings.Count(templates[j], "{") ||
			(strings.Count(templates[i], "{") == strings.Count(templates[j], "{") && templates[i] < templates[j])
	})
	got := strings.Split(strings.TrimSuffix(path, "/"), "/")
	for _, t := range templates {
		op, ok := dig(paths, t, strings.ToLower(method)).(map[string]any)
		if ok && matchPath(strings.Split(t, "/"), got) {
			return t, op, true
		}
	}
	return "", nil, false
}

func matchPath(tmpl, got []string) bool {
	if len(got) > len(tmpl) {
		return false
	}
	for i, seg := range tmpl {
		param := strings.HasPrefix(seg, "{")
		switch {
		case i >= len(got):
			if !param {
				return false
			}
		case param:
			if got[i] == "" {
				return false
			}
		case seg != got[i]:
			return false
		}
	}
	return true
}

// ResponseSchema returns the schema of the answer with status to method
// and path, and whether the document gives one.
func (d *Document) ResponseSchema(method, path string, status int) (Schema, bool) {
	_, op, ok := d.Operation(method, path)
	if !ok {
		return nil, false
	}
	resp, _ := dig(op, "responses", strconv.Itoa(status)).(map[string]any)
	if resp == nil {
		return nil, false
	}
	if r, ok := resp["$ref"].(string); ok {
		resp, _ = d.ref(r)
	}
	var s any
	if d.v3 {
		s = dig(resp, "content", "application/json", "schema")
	} else {
		s = resp["schema"]
	}
	schema, ok := s.(map[string]any)
	return schema, ok
}

// Options tune Check.
type Options struct {
	// AllProperties requires every property a schema declares, not only
	// its required ones: PortOne V1 writes every field, null when unset.
	AllProperties bool
	// Null allows null for a property that is not required (V1), beside
	// schemas marked nullable (OpenAPI 3).
	Null bool
	// MayOmit names properties that AllProperties does not require.
	MayOmit []string
}

// Check reports every way body differs from s, one line each with the
// JSON path of the field.
func (d *Document) Check(s Schema, body []byte, opt Options) []string {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return []string{"$: not JSON: " + err.Error()}
	}
	c := &checker{d: d, opt: opt}
	c.check("$", s, v, false)
	return c.problems
}

type checker struct {
	d        *Document
	opt      Options
	problems []string
}

func (c *checker) fail(path, format string, args ...any) {
	c.problems = append(c.problems, path+": "+fmt.Sprintf(format, args...))
}

func (d *Document) ref(r string) (map[string]any, bool) {
	name := r[strings.LastIndex(r, "/")+1:]
	if !strings.HasPrefix(r, "#/") {
		return nil, false
	}
	s, ok := dig(d.root, strings.Split(strings.TrimPrefix(r, "#/"), "/")...).(map[string]any)
	if !ok {
		return d.Named(name)
	}
	return s, true
}

// resolve follows $ref until a schema without one.
func (c *checker) resolve(path string, s Schema) Schema {
	for i := 0; s != nil && i < 32; i++ {
		r, ok := s["$ref"].(string)
		if !ok {
			return s
		}
		next, ok := c.d.ref(r)
		if !ok {
			c.fail(path, "schema reference %s not found", r)
			return nil
		}
		s = next
	}
	return s
}

// check checks v at path against s; optional says a null may stand for
// an unset field.
func (c *checker) check(path string, s Schema, v any, optional bool) {
	s = c.resolve(path, s)
	if s == nil {
		return
	}
	if v == nil {
		if s["nullable"] == true || (optional && c.opt.Null) {
			return
		}
		c.fail(path, "null, want %s", describe(s))
		return
	}
	if enum, ok := s["enum"].([]any); ok && !slices.ContainsFunc(enum, func(e any) bool { return fmt.Sprint(e) == fmt.Sprint(v) }) {
		c.fail(path, "%v is not one of %v", v, enum)
	}
	if one, ok := s["oneOf"].([]any); ok {
		c.checkOneOf(path, s, one, v)
		return
	}
	if all, ok := s["allOf"].([]any); ok || s["properties"] != nil || s["type"] == "object" {
		if !ok || s["properties"] != nil {
			all = append(all, without(s, "allOf"))
		}
		c.checkObject(path, all, v)
		return
	}
	c.checkScalar(path, s, v)
}

func without(s Schema, key string) Schema {
	out := make(Schema, len(s))
	for k, v := range s {
		if k != key {
			out[k] = v
		}
	}
	return out
}

// checkOneOf picks the variant by the discriminator, or else requires
// exactly one variant to match.
func (c *checker) checkOneOf(path string, s Schema, variants []any, v any) {
	if disc, ok := s["discriminator"].(map[string]any); ok {
		prop, _ := disc["propertyName"].(string)
		obj, _ := v.(map[string]any)
		tag, _ := obj[prop].(string)
		target, ok := dig(disc, "mapping", tag).(string)
		if !ok {
			c.fail(path, "%s %q is not one of the union's variants", prop, tag)
			return
		}
		c.check(path, Schema{"$ref": target}, v, false)
		return
	}
	matched := 0
	for _, variant := range variants {
		sub := &checker{d: c.d, opt: c.opt}
		vs, _ := variant.(map[string]any)
		sub.check(path, vs, v, false)
		if len(sub.problems) == 0 {
			matched++
		}
	}
	if matched != 1 {
		c.fail(path, "matches %d of the %d variants of a oneOf, want exactly 1", matched, len(variants))
	}
}

// checkObject checks an object against the merged parts of an allOf.
func (c *checker) checkObject(path string, parts []any, v any) {
	obj, ok := v.(map[string]any)
	if !ok {
		c.fail(path, "%s, want an object", jsonType(v))
		return
	}
	props := map[string]Schema{}
	required := map[string]bool{}
	open := false
	for _, part := range c.flatten(path, parts) {
		for k, ps := range asMap(part["properties"]) {
			props[k] = asSchema(ps)
		}
		for _, r := range asSlice(part["required"]) {
			required[fmt.Sprint(r)] = true
		}
		if ap, ok := part["additionalProperties"]; ok && ap != false {
			open = true
		}
	}
	for _, k := range sortedKeys(props) {
		fv, present := obj[k]
		switch {
		case !present && (required[k] || (c.opt.AllProperties && !slices.Contains(c.opt.MayOmit, k))):
			c.fail(path+"."+k, "missing")
		case present:
			c.check(path+"."+k, props[k], fv, !required[k])
		}
	}
	if open || len(props) == 0 {
		return
	}
	for _, k := range sortedKeys(obj) {
		if _, declared := props[k]; !declared {
			c.fail(path+"."+k, "not in the schema")
		}
	}
}

// flatten resolves the parts of an allOf, and theirs in turn.
func (c *checker) flatten(path string, parts []any) []Schema {
	var out []Schema
	for _, p := range parts {
		s := c.resolve(path, asSchema(p))
		if nested, ok := s["allOf"].([]any); ok {
			out = append(out, c.flatten(path, nested)...)
			s = without(s, "allOf")
		}
		out = append(out, s)
	}
	return out
}

// checkScalar checks type and format, and array items.
func (c *checker) checkScalar(path string, s Schema, v any) {
	typ, _ := s["type"].(string)
	got := jsonType(v)
	switch {
	case typ == "":
	case typ == "number" && got == "integer":
	case typ != got:
		c.fail(path, "%s %v, want %s", got, v, describe(s))
		return
	}
	switch typ {
	case "array":
		items := asSchema(s["items"])
		for i, el := range v.([]any) {
			c.check(fmt.Sprintf("%s[%d]", path, i), items, el, false)
		}
	case "integer":
		if s["format"] == "int32" {
			if n, _ := v.(json.Number).Int64(); n != int64(int32(n)) {
				c.fail(path, "%v does not fit int32", v)
			}
		}
	case "string":
		if s["format"] == "date-time" {
			if _, err := time.Parse(time.RFC3339Nano, v.(string)); err != nil {
				c.fail(path, "%q is not an RFC 3339 date-time", v)
			}
		}
	}
}

func describe(s Schema) string {
	if t, ok := s["type"].(string); ok {
		return t
	}
	return "a value"
}

// jsonType names the JSON type of v as the schemas do.
func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case json.Number:
		if _, err := strconv.ParseInt(x.String(), 10, 64); err == nil {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func asSchema(v any) Schema      { s, _ := v.(map[string]any); return s }
func asMap(v any) map[string]any { m, _ := v.(map[string]any); return m }
func asSlice(v any) []any        { s, _ := v.([]any); return s }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
