package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// subcommands are the second words of the commands that take one.
var subcommands = map[string][]string{
	"accounts":   {"import", "list"},
	"sites":      {"import"},
	"customers":  {"import"},
	"test":       {"on", "off", "status"},
	"users":      {"add", "list"},
	"store":      {"copy"},
	"keys":       {"generate", "rotate"},
	"bench":      {"fill"},
	"completion": {"bash", "zsh", "fish"},
}

// commandNames are the commands the usage text lists, in its order: the
// completions read them there, so that a command added to the usage is
// completed too.
func commandNames() []string {
	var names []string
	inCommands := false
	for _, line := range strings.Split(usage, "\n") {
		switch {
		case line == "commands:":
			inCommands = true
		case inCommands && strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "   "):
			names = append(names, strings.Fields(line)[0])
		case inCommands && line == "":
			if len(names) > 0 {
				return names
			}
		}
	}
	return names
}

// completion is `alarmrx completion bash|zsh|fish`: a script that
// completes the commands, their subcommands and --config's file.
func completion(args []string, stdout, stderr io.Writer) error {
	if len(args) == 1 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Fprintln(stderr, "usage: alarmrx completion bash|zsh|fish\n\n"+
			"Prints a completion script. bash: source <(alarmrx completion bash), or save it as\n"+
			"/usr/share/bash-completion/completions/alarmrx; zsh: alarmrx completion zsh > \"${fpath[1]}/_alarmrx\";\n"+
			"fish: alarmrx completion fish > ~/.config/fish/completions/alarmrx.fish")
		return nil
	}
	if len(args) != 1 {
		return usageError{errors.New("completion takes one shell: bash, zsh or fish")}
	}
	cmds := commandNames()
	var subs []string
	for _, c := range cmds {
		if s, ok := subcommands[c]; ok {
			subs = append(subs, c+":"+strings.Join(s, " "))
		}
	}
	slices.Sort(subs)
	switch args[0] {
	case "bash":
		fmt.Fprintf(stdout, `# bash completion for alarmrx (alarmrx completion bash)
_alarmrx() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	if [ "$prev" = --config ]; then
		COMPREPLY=($(compgen -f -- "$cur")); return
	fi
	if [ "$COMP_CWORD" -eq 1 ]; then
		COMPREPLY=($(compgen -W "%s" -- "$cur")); return
	fi
	if [ "$COMP_CWORD" -eq 2 ]; then
		local pair
		for pair in %s; do
			if [ "${pair%%%%:*}" = "${COMP_WORDS[1]}" ]; then
				COMPREPLY=($(compgen -W "${pair#*:}" -- "$cur")); return
			fi
		done
	fi
	case "$cur" in
	-*) COMPREPLY=($(compgen -W "--config --help" -- "$cur")) ;;
	*) COMPREPLY=($(compgen -f -- "$cur")) ;;
	esac
}
complete -F _alarmrx alarmrx
`, strings.Join(cmds, " "), strings.Join(quoteAll(subs), " "))
	case "zsh":
		fmt.Fprintf(stdout, "#compdef alarmrx\n# zsh completion for alarmrx (alarmrx completion zsh)\n_alarmrx() {\n\tlocal -a cmds\n\tcmds=(%s)\n", strings.Join(cmds, " "))
		fmt.Fprint(stdout, "\tif (( CURRENT == 2 )); then\n\t\t_describe command cmds\n\t\treturn\n\tfi\n\tcase $words[2] in\n")
		for _, c := range cmds {
			if s, ok := subcommands[c]; ok {
				fmt.Fprintf(stdout, "\t%s) (( CURRENT == 3 )) && { compadd %s; return } ;;\n", c, strings.Join(s, " "))
			}
		}
		fmt.Fprint(stdout, "\tesac\n\t_arguments '--config[configuration file]:file:_files' '*:file:_files'\n}\ncompdef _alarmrx alarmrx\n")
	case "fish":
		fmt.Fprintln(stdout, "# fish completion for alarmrx (alarmrx completion fish)")
		fmt.Fprintf(stdout, "complete -c alarmrx -f -n __fish_use_subcommand -a '%s'\n", strings.Join(cmds, " "))
		for _, c := range cmds {
			if s, ok := subcommands[c]; ok {
				fmt.Fprintf(stdout, "complete -c alarmrx -f -n '__fish_seen_subcommand_from %s' -a '%s'\n", c, strings.Join(s, " "))
			}
		}
		fmt.Fprintln(stdout, "complete -c alarmrx -l config -r -F -d 'configuration file'")
	default:
		return usageError{fmt.Errorf("completion: unknown shell %q: bash, zsh or fish", args[0])}
	}
	return nil
}

func quoteAll(words []string) []string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = "'" + w + "'"
	}
	return out
}
