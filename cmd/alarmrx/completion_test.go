package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCompletion: the bash script, sourced by a real bash, completes the
// commands, a command's subcommands and --config; the zsh and fish
// scripts name every command of the usage text (no zsh or fish runs
// here to source them).
func TestCompletion(t *testing.T) {
	names := commandNames()
	for _, want := range []string{"serve", "doctor", "backup", "restore", "completion", "store"} {
		if !strings.Contains(" "+strings.Join(names, " ")+" ", " "+want+" ") {
			t.Fatalf("the usage's commands %v lack %s", names, want)
		}
	}
	code, script, errs := runCmd(t, "completion", "bash")
	if code != 0 {
		t.Fatalf("completion bash: %d %s", code, errs)
	}
	path := filepath.Join(t.TempDir(), "alarmrx.bash")
	must(t, os.WriteFile(path, []byte(script), 0o644))
	for _, c := range []struct{ words, cword, want string }{
		{"alarmrx te", "1", "test"},
		{"alarmrx b", "1", "backup bench"},
		{"alarmrx test o", "2", "on off"},
		{"alarmrx accounts ''", "2", "import list"},
		{"alarmrx doctor --con", "2", "--config"},
	} {
		out, err := exec.Command("bash", "-c", "source "+path+"; COMP_WORDS=("+c.words+"); COMP_CWORD="+c.cword+
			`; _alarmrx; echo "${COMPREPLY[*]}"`).CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != c.want {
			t.Errorf("completing %q: %q %v, want %q", c.words, out, err, c.want)
		}
	}
	for _, shell := range []string{"zsh", "fish"} {
		code, script, errs := runCmd(t, "completion", shell)
		if code != 0 {
			t.Fatalf("completion %s: %d %s", shell, code, errs)
		}
		for _, name := range names {
			if !strings.Contains(script, name) {
				t.Errorf("the %s script lacks %s", shell, name)
			}
		}
	}
	if code, _, _ := runCmd(t, "completion", "tcsh"); code != 2 {
		t.Errorf("an unknown shell: exit %d, want 2", code)
	}
}
