package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/ejops/ejops/cmd/ejops/internal/view"
	"github.com/ejops/ejops/runner"
)

// Exit codes, the same for every command.
const (
	exitOK          = 0
	exitFailure     = 1
	exitChanges     = 2
	exitUsage       = 64
	exitInterrupted = 130
)

// env is what a command gets from Main: its streams and environment, injected so tests can drive
// every command in process.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// lookup tells an unset variable from an empty one; nil falls back to getenv, where "" is unset.
	lookup func(string) (string, bool)
	// readFile reads secret files.
	readFile func(string) ([]byte, error)
	// clock is the time plans are made at (it compiles schedules in local time); nil: time.Now.
	clock func() time.Time
}

// now returns the time plans are made at.
func (e *env) now() time.Time {
	if e.clock != nil {
		return e.clock()
	}
	return time.Now()
}

// view returns the view base for format, coloured when colour is asked for, NO_COLOR is unset, TERM
// is not dumb and stdout is a terminal; live progress when stderr is a terminal that is not dumb.
func (e *env) view(format view.Format, colour bool) *view.View {
	capable := e.getenv("TERM") != "dumb"
	colour = colour && e.getenv("NO_COLOR") == "" && capable && isTerminal(e.stdout)
	v := view.New(e.stdout, e.stderr, format, colour)
	v.Live = capable && isTerminal(e.stderr)
	return v
}

// command is one subcommand: a one-line summary and a function returning the exit code.
type command struct {
	summary string
	run     func(ctx context.Context, e *env, args []string) int
	// interruptible commands stop when ctx is canceled by SIGINT or SIGTERM; the others are
	// left to the default signal handling.
	interruptible bool
}

// commands is filled by the init function of each command's file.
var commands = map[string]command{}

// Main runs ejops with args (without the program name) and returns the exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return run(&env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv, lookup: os.LookupEnv, readFile: runner.ReadSecretFile}, args)
}

// lookupEnv returns an environment variable and whether it is set.
func (e *env) lookupEnv(name string) (string, bool) {
	if e.lookup != nil {
		return e.lookup(name)
	}
	v := e.getenv(name)
	return v, v != ""
}

// run dispatches to the command named by args[0].
func run(e *env, args []string) int {
	if len(args) == 0 {
		usage(e.stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help":
		usage(e.stdout)
		return exitOK
	case "help":
		if len(args) == 1 {
			usage(e.stdout)
			return exitOK
		}
		return run(e, []string{args[1], "--help"})
	case "-version", "--version":
		args = append([]string{"version"}, args[1:]...)
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "ejops: unknown command %q\nRun 'ejops help' for the list of commands.\n", args[0])
		return exitUsage
	}
	ctx := context.Background()
	if cmd.interruptible {
		// The first signal cancels the command, which stops cleanly (an apply rolls back); after
		// it the default handling is back, so a second one ends the process at once.
		var stop context.CancelFunc
		ctx, stop = signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
		defer stop()
		go func() {
			<-ctx.Done()
			stop()
		}()
	}
	code := cmd.run(ctx, e, args[1:])
	if code == exitFailure && ctx.Err() != nil {
		// The command failed because it was interrupted.
		return exitInterrupted
	}
	return code
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "ejops keeps Azure SQL Elastic Jobs in sync with job specs in git.\n\nUsage:\n  ejops <command> [flags] [arguments]\n\nCommands:\n")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-11s %s\n", n, commands[n].summary)
	}
	fmt.Fprintf(w, "\nRun 'ejops help <command>' for a command's flags.\nExit codes: 0 success, 1 failure, 2 changes pending (plan --detailed-exitcode), 64 usage error, 130 interrupted.\n")
}

// newFlags returns a flag set for a command whose usage text shows synopsis and examples. Help
// asked for with -h or --help goes to stdout (see parseFlags); usage after a bad flag to stderr.
func newFlags(e *env, name, synopsis, examples string) *flag.FlagSet {
	fs := flag.NewFlagSet("ejops "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	help := &helpFlag{stdout: e.stdout}
	fs.Var(help, "h", "")
	fs.Var(help, "help", "")
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: ejops %s %s\n\nFlags:\n", name, synopsis)
		printFlags(w, fs)
		if examples != "" {
			fmt.Fprintf(w, "\nExamples:\n%s\n", strings.TrimRight(examples, "\n"))
		}
	}
	return fs
}

// helpFlag is -h and --help: a boolean flag that remembers where help goes.
type helpFlag struct {
	set    bool
	stdout io.Writer
}

func (h *helpFlag) String() string     { return "" }
func (h *helpFlag) IsBoolFlag() bool   { return true }
func (h *helpFlag) Set(v string) error { h.set = v == "true"; return nil }

// printFlags lists the flags of fs as --name, like flag.PrintDefaults, leaving out -h and --help.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		if _, ok := f.Value.(*helpFlag); ok {
			return
		}
		name, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if name != "" {
			line += " " + name
		}
		usage = strings.ReplaceAll(usage, "\n", "\n    \t")
		fmt.Fprintf(w, "%s\n    \t%s", line, usage)
		switch {
		case f.DefValue == "" || f.DefValue == "false" || f.DefValue == "0" || f.DefValue == "0s":
		case fmt.Sprintf("%T", f.Value) == "*flag.stringValue":
			fmt.Fprintf(w, " (default %q)", f.DefValue)
		default:
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		fmt.Fprintln(w)
	})
}

// parseFlags parses args, flags and arguments in any order (as in "validate specs/ --strict"; after
// "--" everything is an argument), and returns the exit code to stop with, or -1 to go on. Help
// asked for is printed to stdout and exits 0.
func parseFlags(fs *flag.FlagSet, args []string) int {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return exitUsage
		}
		if h, ok := fs.Lookup("help").Value.(*helpFlag); ok && h.set {
			fs.SetOutput(h.stdout)
			fs.Usage()
			return exitOK
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			positional = append(positional, rest...)
			break
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
	_ = fs.Parse(append([]string{"--"}, positional...))
	return -1
}

// usageErrorf reports a usage error and returns its exit code.
func usageErrorf(e *env, format string, args ...any) int {
	fmt.Fprintf(e.stderr, "ejops: "+format+"\n", args...)
	return exitUsage
}
