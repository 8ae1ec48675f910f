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
	if err := cmd.run(os.Args[2:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintf(os.Stderr, "lungo %s: %v\n", cmd.name, err)
		os.Exit(1)
	}
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
