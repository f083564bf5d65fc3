package emulator

import "net/http"

func (e *Emulator) browserRoutes(mux *http.ServeMux) {}
func (e *Emulator) controlRoutes(mux *http.ServeMux) {}

type redirectTarget struct{}
