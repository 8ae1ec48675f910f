// Command lungo trains and runs U-Net models that find pneumothorax in chest
// radiographs, and benchmarks lungo's kernels. Run "lungo help" for the
// subcommands; every subcommand takes -h.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
)

// A command is one subcommand. Each lives in its own file and registers
// itself from an init function.
type command struct {
	name    string
	summary string
	run     func(args []string) error
}

var commands = map[string]*command{}

func register(name, summary string, run func(args []string) error) {
	if _, dup := commands[name]; dup {
		panic("lungo: command " + name + " registered twice")
	}
	commands[name] = &command{name: name, summary: summary, run: run}
}

func usage() {
	fmt.Fprintf(os.Stderr, "usage: lungo <command> [flags]\n\ncommands:\n")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-9s %s\n", n, commands[n].summary)
	}
	fmt.Fprintf(os.Stderr, "\nRun \"lungo <command> -h\" for a command's flags.\n")
}

func main() {
	if len(os.Args) < 2 || os.Args[1] == "help" || os.Args[1] == "-h" || os.Args[1] == "--help" {
		usage()
		if len(os.Args) < 2 {
			os.Exit(2)
		}
		return
	}
	cmd, ok := commands[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "lungo: unknown command %q\n\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	os.Exit(exitCode(cmd.name, cmd.run(os.Args[2:])))
}

// exitCode reports err and returns the process's exit status, as the Go
// tools do: 0 for success and for -h, 2 for a mistake in the command line
// (a usageError), 1 for any other error.
func exitCode(name string, err error) int {
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		if !ue.printed {
			fmt.Fprintf(os.Stderr, "lungo %s: %v\nRun \"lungo %s -h\" for its flags.\n", name, err, name)
		}
		return 2
	}
	fmt.Fprintf(os.Stderr, "lungo %s: %v\n", name, err)
	return 1
}

// A usageError is a mistake in the command line: an unknown flag or a bad
// value, a required flag missing, an argument too many. main exits 2 for it
// (1 for other errors), so a script can tell a wrong invocation from a run
// that failed.
type usageError struct {
	err     error
	printed bool // the flag package has already written it, with the flags
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usagef returns a usageError with the formatted message.
func usagef(format string, args ...any) error {
	return &usageError{err: fmt.Errorf(format, args...)}
}

// parseFlags parses args into fs. A bad flag or value is a usageError
// (fs has printed it and the flags); -h returns flag.ErrHelp; positional
// arguments are left in fs.Args().
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return err
	}
	return &usageError{err: err, printed: true}
}

// noArgs is parseFlags for a command that takes flags only.
func noArgs(fs *flag.FlagSet, args []string) error {
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected arguments %q", fs.Args())
	}
	return nil
}

// newFlags returns a FlagSet for a subcommand whose -h prints the summary,
// the usage line and the flags.
func newFlags(name, usageLine string) *flag.FlagSet {
	fs := flag.NewFlagSet("lungo "+name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: lungo %s %s\n", name, usageLine)
		if c := commands[name]; c != nil {
			fmt.Fprintf(fs.Output(), "\n%s\n", c.summary)
		}
		fmt.Fprintf(fs.Output(), "\nflags:\n")
		fs.PrintDefaults()
	}
	return fs
}
