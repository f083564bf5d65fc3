// Command shop is a small Go shop that embeds payresult instead of running
// payresult serve beside it. It mounts payresult's redirect and webhook
// handlers on its own mux, runs the reconciler and event delivery beside
// them, and receives its own signed events, all from payresult's exported
// packages. PortOne is payresult's sandbox (package portone/emulator) in an
// httptest server, so it runs offline:
//
//	go run ./shop
//
// It plays two payments. The first comes back the usual way: the buyer's
// redirect and PortOne's webhook. The second loses both, and the
// reconciler finds it at PortOne. Then it refunds part of the first.
// Every change reaches the shop as a signed event.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "shop:", err)
		os.Exit(1)
	}
}
