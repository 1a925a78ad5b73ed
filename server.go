// Command custgraph serves one GraphQL API over customer data kept in
// Yonyou U8, Yeastar YCM and the ikcrm CRM. `custgraph serve` (the default)
// runs the gateway; with no upstream configured it starts the three
// simulators in-process (demo mode). `custgraph sim` serves only the
// simulators.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args, os.Environ(), os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "custgraph:", err)
		stop()
		os.Exit(exitCode(err))
	}
}

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `custgraph: one GraphQL API over customers in Yonyou U8, Yeastar YCM and ikcrm CRM.

Usage:
  custgraph [serve]     serve the GraphQL API (demo mode on built-in simulators
                        when no upstream is configured; see README.md for the
                        CUSTGRAPH_* environment)
  custgraph sim [flags] serve only the three vendor simulators
  custgraph version     print the version
  custgraph -h|--help   this help

Run 'custgraph sim -h' for the simulator's flags.
`

// errUsage marks a command-line mistake (exit status 2).
type errUsage struct{ msg string }

func (e errUsage) Error() string { return e.msg }

func exitCode(err error) int {
	if _, ok := err.(errUsage); ok {
		return 2
	}
	return 1
}

// run is the whole program; main only wires the process to it, and tests
// call it directly. environ is the environment as os.Environ gives it.
func run(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	cmd, rest := "serve", []string{}
	if len(args) > 1 {
		cmd, rest = args[1], args[2:]
	}
	switch cmd {
	case "serve":
		if len(rest) > 0 {
			return errUsage{fmt.Sprintf("serve takes no arguments (configuration is CUSTGRAPH_* environment); got %q", rest[0])}
		}
		return serve(ctx, environ, stdout, stderr)
	case "sim":
		return runSim(ctx, rest, stdout, stderr)
	case "version", "-v", "--version":
		_, err := fmt.Fprintln(stdout, "custgraph", version)
		return err
	case "-h", "--help", "help":
		_, err := io.WriteString(stdout, usage)
		return err
	}
	_, _ = io.WriteString(stderr, usage)
	return errUsage{fmt.Sprintf("unknown command %q", cmd)}
}
