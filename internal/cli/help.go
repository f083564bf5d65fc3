package cli

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// help is the one shape of every command's --help: what the command does,
// how to call it, its flags (each with the environment variable that
// also sets it, and its default), and an example.
type help struct {
	name  string // the command: "serve"
	usage string // after "payresult <name> ": "[flags] <imp_uid|merchant_uid>"
	about string // what it does, in paragraphs
	// flags lists the command's own flags in the order shown; nil shows
	// every flag of the set in name order.
	flags []string
	// env names the environment variable of each own flag that has one.
	env map[string]string
	// shared lists serve's settings the command also reads, shown after
	// its own flags.
	shared  []string
	example string // one or more command lines, each shown after "$ "
}

// write prints the help of fs's command.
func (h help) write(w io.Writer, fs *flag.FlagSet) {
	var b strings.Builder
	fmt.Fprintf(&b, "payresult %s: %s\n\nUsage:\n  %s\n\n", h.name, commandSummary(h.name), strings.TrimSpace("payresult "+h.name+" "+h.usage))
	b.WriteString(strings.TrimSpace(h.about) + "\n")
	own := h.flags
	if own == nil {
		fs.VisitAll(func(f *flag.Flag) {
			if !isShared(h.shared, f.Name) {
				own = append(own, f.Name)
			}
		})
	}
	if len(own) > 0 {
		b.WriteString("\nFlags:\n")
		writeFlags(&b, fs, own, func(name string) string { return h.env[name] })
	}
	if len(h.shared) > 0 {
		b.WriteString("\nSettings it shares with payresult serve (see payresult serve --help):\n")
		writeFlags(&b, fs, h.shared, serveEnvOf)
	}
	if h.example != "" {
		b.WriteString("\nExample:\n")
		for _, line := range strings.Split(strings.TrimSpace(h.example), "\n") {
			b.WriteString("  $ " + line + "\n")
		}
	}
	io.WriteString(w, b.String())
}

// writeFlags lists the named flags of fs: "--name <value>, ENV_VAR", then
// the usage and the default, indented. envOf names a flag's environment
// variable ("" for none); such a flag's default in fs is the variable's
// value, so the default shown is serve's own, if any.
func writeFlags(b *strings.Builder, fs *flag.FlagSet, names []string, envOf func(string) string) {
	for _, name := range names {
		f := fs.Lookup(name)
		if f == nil {
			continue
		}
		value, usage := flag.UnquoteUsage(f)
		switch value {
		case "":
		case "string":
			value = " <value>"
		default:
			value = " <" + value + ">"
		}
		line, def := "  --"+f.Name+value, f.DefValue
		if env := envOf(f.Name); env != "" {
			line += ", " + env
			def = serveDefaults[f.Name]
			if serveEnvOf(f.Name) != env {
				def = ""
			}
		}
		if def != "" && def != "false" && def != "0" && def != "0s" {
			usage += " (default " + def + ")"
		}
		b.WriteString(line + "\n" + wrap(usage, "        ", 78))
	}
}

// wrap breaks text into lines of at most width columns, each starting
// with indent.
func wrap(text, indent string, width int) string {
	var b strings.Builder
	line := indent
	for _, word := range strings.Fields(text) {
		if len(line) > len(indent) && len(line)+1+len(word) > width {
			b.WriteString(line + "\n")
			line = indent
		}
		if len(line) > len(indent) {
			line += " "
		}
		line += word
	}
	b.WriteString(line + "\n")
	return b.String()
}

// serveEnvOf returns the environment variable that sets serve's setting
// name, or "".
func serveEnvOf(name string) string {
	for _, s := range serveEnv {
		if s.flag == name {
			return s.env
		}
	}
	return ""
}

func isShared(shared []string, name string) bool {
	for _, s := range shared {
		if s == name {
			return true
		}
	}
	return false
}

// usageError reports wrong arguments the same way for every command: the
// problem, and where the help is. It returns ErrUsage.
func usageError(env Env, name string, err error) error {
	fmt.Fprintf(env.Stderr, "payresult %s: %v\nRun 'payresult %s --help' for its usage.\n", name, err, name)
	return ErrUsage
}

// commandSummary is the one line the command list shows for name.
func commandSummary(name string) string { return summaries[name] }
