package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

func init() {
	commands["completion"] = command{summary: "print a completion script for bash, zsh or fish", run: runCompletion}
}

// Completion scripts complete command names from the list they were made with, and a command's
// flags by asking that command for its help, so they stay right as flags are added.
const (
	bashCompletion = `# bash completion for ejops; add to ~/.bashrc: source <(ejops completion bash)
_ejops() {
  local cur=${COMP_WORDS[COMP_CWORD]}
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "%[1]s" -- "$cur"))
  elif [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$(ejops "${COMP_WORDS[1]}" --help 2>/dev/null | sed -n 's/^  \(--[a-z-]*\).*/\1/p')" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -o filenames -F _ejops ejops
`
	zshCompletion = `#compdef ejops
# zsh completion for ejops; add to ~/.zshrc: source <(ejops completion zsh)
_ejops() {
  if (( CURRENT == 2 )); then
    compadd -- %[1]s
  elif [[ $PREFIX == -* ]]; then
    compadd -- ${(f)"$(ejops $words[2] --help 2>/dev/null | sed -n 's/^  \(--[a-z-]*\).*/\1/p')"}
  else
    _files
  fi
}
compdef _ejops ejops
`
	fishCompletion = `# fish completion for ejops; save as ~/.config/fish/completions/ejops.fish
complete -c ejops -f -n __fish_use_subcommand -a "%[1]s"
complete -c ejops -n 'not __fish_use_subcommand' -a '(ejops (commandline -opc)[2] --help 2>/dev/null | string replace -rf "^  (--[a-z-]+).*" "\$1")'
complete -c ejops -n 'not __fish_use_subcommand' -F
`
)

func runCompletion(_ context.Context, e *env, args []string) int {
	fs := newFlags(e, "completion", "bash|zsh|fish", `  source <(ejops completion bash)
  ejops completion fish > ~/.config/fish/completions/ejops.fish`)
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if fs.NArg() != 1 {
		return usageErrorf(e, "completion takes one argument: bash, zsh or fish")
	}
	scripts := map[string]string{"bash": bashCompletion, "zsh": zshCompletion, "fish": fishCompletion}
	script, ok := scripts[fs.Arg(0)]
	if !ok {
		return usageErrorf(e, "completion: unknown shell %q (bash, zsh or fish)", fs.Arg(0))
	}
	names := make([]string, 0, len(commands)+1)
	for n := range commands {
		names = append(names, n)
	}
	names = append(names, "help")
	sort.Strings(names)
	fmt.Fprintf(e.stdout, script, strings.Join(names, " "))
	return exitOK
}
