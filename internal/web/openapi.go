package web

import (
	_ "embed"
	"net/http"
)

// openAPIDoc describes the app API. It is written by hand; a test checks
// that its paths and methods are exactly the /api/ routes.
//
//go:embed openapi.json
var openAPIDoc []byte

// openAPI serves the OpenAPI document, so apps in any language can
// generate a client.
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Access-Control-Allow-Origin", "*")
	_, _ = w.Write(openAPIDoc)
}
