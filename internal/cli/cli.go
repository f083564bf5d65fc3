// Package cli implements the payresult command: it parses arguments and
// the environment and wires the packages together. Tests call Run.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Env is what every subcommand gets: its arguments, the environment and
// where to write.
type Env struct {
	Args   []string
	Getenv func(string) string
	Stdout io.Writer
	Stderr io.Writer
}

// command is one subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, env Env) error
}

// summaries are the commands' one-line descriptions, in the command list
// and at the head of each one's --help.
var summaries = map[string]string{
	"bench":     "measure confirm throughput and latency against same-run floors",
	"chaos":     "run the chaos soak: payments under faults and kills, then check invariants",
	"emulator":  "run the offline PortOne sandbox (V1 and V2)",
	"serve":     "run the payresult service",
	"reconcile": "check now the orders that still wait for a result, as serve's reconciler does",
	"verify":    "show what Confirm would decide for a payment (--apply to store it)",
	"version":   "print the version, commit and Go release payresult was built from",
}

// commands lists every subcommand. Each one's run function lives in a
// file named after it (serve.go, emulator.go, ...).
var commands = map[string]command{
	"bench":     {summaries["bench"], runBench},
	"chaos":     {summaries["chaos"], runChaos},
	"emulator":  {summaries["emulator"], runEmulator},
	"serve":     {summaries["serve"], runServe},
	"reconcile": {summaries["reconcile"], runReconcile},
	"verify":    {summaries["verify"], runVerify},
	"version":   {summaries["version"], runVersion},
}

// ErrUsage means the arguments were wrong and usage has been printed.
var ErrUsage = errors.New("usage")

// ExitCode maps an error from Run to a process exit code.
func ExitCode(err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, ErrUsage):
		return 2
	}
	return 1
}

// Run runs the payresult command with args (without the program name).
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return ErrUsage
		}
		return nil
	}
	if args[0] == "--version" || args[0] == "-version" {
		args = append([]string{"version"}, args[1:]...)
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "payresult: unknown command %q\n\n", args[0])
		usage(stderr)
		return ErrUsage
	}
	return cmd.run(ctx, Env{Args: args[1:], Getenv: getenv, Stdout: stdout, Stderr: stderr})
}

func usage(w io.Writer) {
	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("payresult verifies PortOne payment results and ships an offline PortOne sandbox.\n\n")
	b.WriteString("Usage:\n  payresult <command> [flags]\n\nCommands:\n")
	for _, name := range names {
		fmt.Fprintf(&b, "  %-10s %s\n", name, commands[name].summary)
	}
	b.WriteString("\nRun 'payresult <command> --help' for a command's flags.\n")
	io.WriteString(w, b.String())
}
