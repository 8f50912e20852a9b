package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/ejops/ejops/cmd/ejops/internal/view"
	"github.com/ejops/ejops/runner"
)

// Exit codes, the same for every command (product.md §3).
const (
	exitOK      = 0
	exitFailure = 1
	exitChanges = 2
	exitUsage   = 64
)

// env is what a command gets from Main: its streams and environment, injected so tests can drive
// every command in process.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// readFile reads secret files.
	readFile func(string) ([]byte, error)
}

// view returns the view base for format, coloured when colour is asked for, NO_COLOR is unset and
// stdout is a terminal.
func (e *env) view(format view.Format, colour bool) *view.View {
	colour = colour && e.getenv("NO_COLOR") == "" && isTerminal(e.stdout)
	return view.New(e.stdout, e.stderr, format, colour)
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
	return run(&env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv, readFile: runner.ReadSecretFile}, args)
}

// run dispatches to the command named by args[0].
func run(e *env, args []string) int {
	stderr := e.stderr
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "ejops: unknown command %q\nRun 'ejops help' for the list of commands.\n", args[0])
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
	return cmd.run(ctx, e, args[1:])
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
	fmt.Fprintf(w, "\nRun 'ejops <command> -h' for a command's flags.\nExit codes: 0 success, 1 failure, 2 changes pending (plan --detailed-exitcode), 64 usage error.\n")
}

// newFlags returns a flag set for a command whose usage text shows synopsis and examples.
func newFlags(e *env, name, synopsis, examples string) *flag.FlagSet {
	fs := flag.NewFlagSet("ejops "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: ejops %s %s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
		if examples != "" {
			fmt.Fprintf(e.stderr, "\nExamples:\n%s\n", strings.TrimRight(examples, "\n"))
		}
	}
	return fs
}

// parseFlags parses args, flags and arguments in any order (as in "validate specs/ --strict"; after
// "--" everything is an argument), and returns the exit code to stop with, or -1 to go on.
func parseFlags(fs *flag.FlagSet, args []string) int {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return exitOK
			}
			return exitUsage
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
