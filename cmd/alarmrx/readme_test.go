package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/daemon"
	"go.uber.org/zap/zaptest"
)

// TestREADMECommandsWork runs every alarmrx command of the README, as
// written, in order, against a daemon of the embedded example with the
// admin token set, as the README has it: each must exit 0. `serve` is the
// daemon itself; curl lines are left
// to the HTTP tests. The only change is the address: the daemon listens on
// free ports, which the commands reach through ALARMRX_HTTP_LISTEN and
// the DC-09 address.
func TestREADMECommandsWork(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	cmds := readmeCommands(string(readme))
	if len(cmds) < 12 {
		t.Fatalf("found %d commands in the README", len(cmds))
	}

	cfg := exampleConfig(t)
	cfg.HTTP.Listen = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cfg.HTTP.AdminToken = "secret"
	dc := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	cfg.Receivers[0].Listeners[0].TCP, cfg.Receivers[0].Listeners[0].UDP = dc, dc
	runDaemon(t, cfg, daemon.Options{Logger: zaptest.NewLogger(t)})
	waitReadyURL(t, "http://"+cfg.HTTP.Listen+"/-/ready", 5*time.Second)
	t.Setenv("ALARMRX_HTTP_LISTEN", cfg.HTTP.Listen)
	t.Setenv("ALARMRX_HTTP_ADMIN_TOKEN", "secret")
	t.Chdir("../..") // the README's paths are from the top of the tree
	defer func(s string) { stdinText = s }(stdinText)

	ran := 0
	for _, c := range cmds {
		if c.args[0] == "serve" {
			continue
		}
		if c.args[0] == "receive" {
			// The automation side of the send lines after it: it runs in
			// the background, as the README's "&" has it, until the test
			// ends.
			startReceive(t, c.args[1:]...)
			ran++
			continue
		}
		args := append([]string(nil), c.args...)
		for i, a := range args {
			args[i] = strings.ReplaceAll(a, "127.0.0.1:12128", dc)
		}
		if args[0] == "send" && !slices.Contains(args, "--addr") {
			args = append(args, "--addr", dc)
		}
		stdinText = c.stdin
		code, out, errs := runCmd(t, args...)
		ran++
		if code != 0 {
			t.Errorf("README line %d: alarmrx %s: exit %d\n%s%s", c.line, strings.Join(c.args, " "), code, out, errs)
		}
	}
	t.Logf("%d README commands ran", ran)
}

// readmeCommand is one alarmrx command line of the README.
type readmeCommand struct {
	line  int
	args  []string
	stdin string // what the line pipes in with echo
}

// readmeCommands finds the alarmrx commands in the README's code blocks
// (indented lines starting with "go run ./cmd/alarmrx" or "alarmrx",
// optionally after environment assignments and an echo pipe).
func readmeCommands(text string) []readmeCommand {
	var out []readmeCommand
	for i, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, "    ") {
			continue
		}
		line = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(line), "&"))
		var c readmeCommand
		c.line = i + 1
		if before, after, ok := strings.Cut(line, "|"); ok && strings.HasPrefix(before, "echo ") {
			words := shellWords(strings.TrimPrefix(before, "echo "))
			c.stdin = strings.Join(words, " ") + "\n"
			line = strings.TrimSpace(after)
		}
		words := shellWords(line)
		for len(words) > 0 && strings.Contains(words[0], "=") && !strings.HasPrefix(words[0], "-") {
			words = words[1:] // VAR=value
		}
		switch {
		case len(words) > 3 && words[0] == "go" && words[1] == "run" && words[2] == "./cmd/alarmrx":
			c.args = words[3:]
		case len(words) > 1 && words[0] == "alarmrx":
			c.args = words[1:]
		default:
			continue
		}
		out = append(out, c)
	}
	return out
}

// shellWords splits a command line as a POSIX shell would for the plain
// quoting the README uses ('…' and "…").
func shellWords(s string) []string {
	var words []string
	var cur strings.Builder
	in, quote := false, byte(0)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case c == '\'' || c == '"':
			quote, in = c, true
		case c == ' ' || c == '\t':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if in {
		words = append(words, cur.String())
	}
	return words
}
