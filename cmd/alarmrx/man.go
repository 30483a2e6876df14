package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/configs"
	"github.com/alarmrx/alarmrx/store"
)

// The manual pages (alarmrx man DIR) are generated from the commands' own
// help: the usage text's list of commands, and what each command and
// subcommand prints for -h (its synopsis, its description, and its
// FlagSet's defaults as flag.PrintDefaults writes them). A flag added to a
// command is on its page from the next build on, described in one place.
// The environment section lists the configuration's every scalar key as
// the ALARMRX_ variable that overrides it, and the ALARMRX_ variables the
// help texts name.

// manCmd is `alarmrx man DIR`.
func manCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("man", stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: alarmrx man DIR\n\n"+
			"Writes the manual pages, made from the commands' own help, into DIR (created when\n"+
			"missing): alarmrx.1, and alarmrx-COMMAND.1 for each command. Their date is\n"+
			"SOURCE_DATE_EPOCH's when it is set, else that of the commit alarmrx was built from.")
		fs.PrintDefaults()
	}
	dir, err := parseOneArg(fs, args, "man: give the directory to write the pages to")
	if err != nil {
		return err
	}
	pages, err := manPages(ctx)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("man: %w", err)
	}
	for _, name := range slices.Sorted(maps.Keys(pages)) {
		if err := os.WriteFile(filepath.Join(dir, name), pages[name], 0o644); err != nil {
			return fmt.Errorf("man: %w", err)
		}
	}
	fmt.Fprintf(stdout, "wrote %d manual pages to %s: alarmrx.1 and one for each command (alarmrx-serve.1, …)\n", len(pages), dir)
	return nil
}

// manCommand is a command, or a subcommand, as its help describes it.
type manCommand struct {
	name     string   // "serve", "keys rotate"
	summary  string   // its line in the list that names it
	synopsis []string // how it is called, one form a line
	explicit bool     // the synopsis is the help's own ("usage: …")
	text     []manBlock
	flags    []manFlag
	subs     []*manCommand
}

// ownText is c's description without the list of its subcommands, which
// their own sections say.
func (c *manCommand) ownText() []manBlock {
	var out []manBlock
	for _, blk := range c.text {
		if len(blk.items) > 0 && len(c.subs) > 0 && !slices.ContainsFunc(blk.items, func(it manItem) bool {
			return !slices.ContainsFunc(c.subs, func(s *manCommand) bool {
				return strings.HasSuffix(s.name, " "+strings.Fields(it.tag)[0])
			})
		}) {
			continue
		}
		out = append(out, blk)
	}
	return out
}

// manBlock is a paragraph of a description, or a list of tagged items
// (a subcommand or a value and what it does).
type manBlock struct {
	para  string
	items []manItem
}

type manItem struct{ tag, text string }

// manFlag is one flag as PrintDefaults writes it: its name, its
// argument's placeholder ("" for a boolean) and its usage with the
// default.
type manFlag struct{ name, arg, usage string }

// manPages generates every page: alarmrx.1, and alarmrx-COMMAND.1 for
// each command of the usage text.
func manPages(ctx context.Context) (map[string][]byte, error) {
	top := parseHelpText(usage, nil)
	summaries := map[string]string{}
	for _, b := range top.text {
		for _, it := range b.items {
			summaries[strings.Fields(it.tag)[0]] = it.text
		}
	}
	var cmds []*manCommand
	for _, name := range commandNames() {
		c, err := helpCommand(ctx, []string{name})
		if err != nil {
			return nil, err
		}
		c.summary = summaries[name]
		if subs, ok := subcommands[name]; ok && name != "completion" { // completion's words are shells
			for _, sub := range subs {
				s, err := helpCommand(ctx, []string{name, sub})
				if err != nil {
					return nil, err
				}
				// The group's list says what the subcommand does; how it
				// is called, when its own help does not, the group's
				// synopsis or that list does.
				var tag string
				for _, b := range c.text {
					for _, it := range b.items {
						if f := strings.Fields(it.tag); len(f) > 0 && f[0] == sub {
							s.summary, tag = it.text, it.tag
						}
					}
				}
				if s.synopsis == nil {
					s.synopsis = subSynopsis(c, sub, tag, flagsSuffix(s))
				}
				c.subs = append(c.subs, s)
			}
		}
		cmds = append(cmds, c)
	}
	m := &manWriter{date: manDate(), version: "alarmrx " + buildVersion()}
	pages := map[string][]byte{"alarmrx.1": m.mainPage(top, cmds)}
	for _, c := range cmds {
		pages["alarmrx-"+c.name+".1"] = m.commandPage(c)
	}
	return pages, nil
}

// subSynopsis is how subcommand sub of group is called, when its own help
// does not say: the group's synopsis forms that begin with it, or that
// offer it among alternatives (<import FILE.csv | list>, that one taken),
// else sub and its tag in the group's list.
func subSynopsis(group *manCommand, sub, tag, flags string) []string {
	prefix := "alarmrx " + group.name + " "
	var forms []string
	for _, form := range group.synopsis {
		rest, ok := strings.CutPrefix(form, prefix)
		if !ok {
			continue
		}
		if f := strings.Fields(rest); len(f) > 0 && f[0] == sub {
			forms = append(forms, form)
			continue
		}
		if alts, after, ok := strings.Cut(strings.TrimPrefix(rest, "<"), ">"); ok && strings.HasPrefix(rest, "<") {
			for _, alt := range strings.Split(alts, "|") {
				if f := strings.Fields(alt); len(f) > 0 && f[0] == sub {
					forms = append(forms, prefix+strings.TrimSpace(alt)+after)
				}
			}
		}
	}
	if forms != nil {
		return forms
	}
	if tag == "" {
		tag = sub
	}
	return []string{prefix + tag + flags}
}

// helpCommand runs `alarmrx ARGS -h` and reads what it prints.
func helpCommand(ctx context.Context, args []string) (*manCommand, error) {
	var out, errs bytes.Buffer
	code := run(ctx, append(slices.Clone(args), "-h"), strings.NewReader(""), &out, &errs, nil)
	if code != 0 {
		return nil, fmt.Errorf("man: alarmrx %s -h: exit %d: %s", strings.Join(args, " "), code, strings.TrimSpace(errs.String()))
	}
	c := parseHelpText(out.String()+errs.String(), args)
	c.name = strings.Join(args, " ")
	return c, nil
}

// flagsSuffix is " [flags]" for a command that has flags.
func flagsSuffix(c *manCommand) string {
	if len(c.flags) > 0 {
		return " [flags]"
	}
	return ""
}

var (
	// A flag as flag.PrintDefaults writes it: "  -name type" and its usage
	// on the lines after, indented "    \t"; a one-letter flag has its usage
	// on the same line, after a tab.
	manFlagLine   = regexp.MustCompile(`^  -([A-Za-z0-9][-A-Za-z0-9_.]*)(?: (\S+))?$`)
	manShortFlag  = regexp.MustCompile(`^  -([A-Za-z0-9])(?: (\S+))?\t(.*)$`)
	manFlagUsage  = regexp.MustCompile(`^    \t(.*)$`)
	manItemLine   = regexp.MustCompile(`^  (\S.*?)(?: {2,}(\S.*))?$`)
	manEnvVarName = regexp.MustCompile(`ALARMRX_[A-Z0-9_]*[A-Z0-9]`)
)

// parseHelpText reads a help text: its synopsis ("usage: …" and the forms
// after it), its description, and its flags, the block PrintDefaults wrote
// at its end. A text that is no help (version prints the version) gives a
// command without either. args is the command, for a synopsis the help
// does not give.
func parseHelpText(text string, args []string) *manCommand {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	c := &manCommand{}
	for k := range lines {
		if flags, ok := parseFlagDefaults(lines[k:]); ok {
			c.flags, lines = flags, lines[:k]
			break
		}
	}
	switch {
	case len(lines) > 0 && strings.HasPrefix(lines[0], "usage: "):
		c.synopsis, c.explicit = []string{strings.TrimPrefix(lines[0], "usage: ")}, true
		lines = lines[1:]
		for len(lines) > 0 && strings.HasPrefix(lines[0], " ") && strings.HasPrefix(strings.TrimSpace(lines[0]), "alarmrx ") {
			c.synopsis = append(c.synopsis, strings.TrimSpace(lines[0]))
			lines = lines[1:]
		}
	case len(lines) > 0 && strings.HasPrefix(lines[0], "Usage of "):
		lines = lines[1:]
	default:
		lines = nil
	}
	if c.synopsis == nil && len(args) == 1 {
		c.synopsis = []string{"alarmrx " + args[0] + flagsSuffix(c)}
	}
	c.text = parseBlocks(lines)
	return c
}

// parseFlagDefaults parses lines that are wholly flag.PrintDefaults's.
func parseFlagDefaults(lines []string) ([]manFlag, bool) {
	var flags []manFlag
	for i := 0; i < len(lines); {
		var f manFlag
		var usage []string
		if m := manShortFlag.FindStringSubmatch(lines[i]); m != nil {
			f.name, f.arg, usage = m[1], m[2], []string{m[3]}
		} else if m := manFlagLine.FindStringSubmatch(lines[i]); m != nil {
			f.name, f.arg = m[1], m[2]
		} else {
			return nil, false
		}
		i++
		for ; i < len(lines); i++ {
			m := manFlagUsage.FindStringSubmatch(lines[i])
			if m == nil {
				break
			}
			usage = append(usage, m[1])
		}
		if usage == nil {
			return nil, false // a long flag's usage is on the next line
		}
		f.usage = strings.Join(usage, " ")
		flags = append(flags, f)
	}
	return flags, len(flags) > 0
}

// parseBlocks splits a description into paragraphs (lines at the margin)
// and lists (lines indented two spaces: a tag, two spaces or more, its
// text; the lines indented further continue it).
func parseBlocks(lines []string) []manBlock {
	var blocks []manBlock
	var para []string
	var items []manItem
	flush := func() {
		if len(para) > 0 {
			blocks = append(blocks, manBlock{para: strings.Join(para, " ")})
			para = nil
		}
		if len(items) > 0 {
			blocks = append(blocks, manBlock{items: items})
			items = nil
		}
	}
	for _, line := range lines {
		switch {
		case strings.TrimSpace(line) == "":
			flush()
		case strings.HasPrefix(line, "   ") && len(items) > 0:
			it := &items[len(items)-1]
			it.text = strings.TrimSpace(it.text + " " + strings.TrimSpace(line))
		case strings.HasPrefix(line, "  "):
			if len(para) > 0 {
				flush()
			}
			m := manItemLine.FindStringSubmatch(line)
			items = append(items, manItem{tag: strings.TrimSpace(m[1]), text: m[2]})
		default:
			if len(items) > 0 {
				flush()
			}
			para = append(para, strings.TrimSpace(line))
		}
	}
	flush()
	return blocks
}

// manDate is the pages' date: SOURCE_DATE_EPOCH's (reproducible builds),
// else the time of the commit the binary was built from, else none.
func manDate() string {
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.Unix(n, 0).UTC().Format(time.DateOnly)
		}
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.time" {
				if t, err := time.Parse(time.RFC3339, s.Value); err == nil {
					return t.UTC().Format(time.DateOnly)
				}
			}
		}
	}
	return ""
}

// manWriter writes pages in roff with the man(7) macros.
type manWriter struct {
	date, version string
}

// page begins a page: its title line and its NAME section.
func (m *manWriter) page(b *bytes.Buffer, name, summary string) {
	fmt.Fprintf(b, ".\\\" Generated by alarmrx man from the commands' own help; edit the help, not this file.\n")
	fmt.Fprintf(b, ".TH %s 1 %s %s \"alarmrx manual\"\n", roffQuote(strings.ToUpper(name)), `"`+m.date+`"`, roffQuote(m.version))
	b.WriteString(".SH NAME\n")
	fmt.Fprintf(b, "%s \\- %s\n", roffText(name), roffText(summary))
}

// mainPage is alarmrx.1: every command with its flags, the files, the
// environment, the exit status.
func (m *manWriter) mainPage(top *manCommand, cmds []*manCommand) []byte {
	var b bytes.Buffer
	m.page(&b, "alarmrx", "alarm receiver for central monitoring stations")
	b.WriteString(".SH SYNOPSIS\n")
	synopsis(&b, top.synopsis)
	b.WriteString(".SH DESCRIPTION\n")
	b.WriteString(roffText("alarmrx receives Contact ID, SIA DC-03, SIA DC-09 (plain and AES) and XML alarm signals "+
		"over TCP, UDP, serial lines and HTTP, acknowledges each only after it is durably stored, and forwards "+
		"them to the operator queue and to automation platforms. Its commands run the receiver and the tools "+
		"around it; each has a page of its own, alarmrx-COMMAND(1).") + "\n")
	for _, blk := range top.text {
		if blk.para != "" && blk.para != "commands:" {
			b.WriteString(".PP\n" + roffText(sentence(blk.para)) + "\n")
		}
	}
	b.WriteString(".SH COMMANDS\n")
	for _, c := range cmds {
		m.command(&b, c, true)
	}
	m.files(&b)
	m.environment(&b, cmds)
	b.WriteString(".SH EXIT STATUS\n")
	for _, s := range []manItem{
		{"0", "The command did what it was asked (and -h printed its help)."},
		{"1", "The command failed; standard error says why (serve: its log, in one line). doctor: a check failed."},
		{"2", "The command line is wrong: an unknown command, flag or argument."},
	} {
		b.WriteString(".TP\n.B " + s.tag + "\n" + roffText(s.text) + "\n")
	}
	b.WriteString(".SH SEE ALSO\n")
	for i, c := range cmds {
		sep := ","
		if i == len(cmds)-1 {
			sep = ""
		}
		fmt.Fprintf(&b, ".BR %s (1)%s\n", roffText("alarmrx-"+c.name), sep)
	}
	b.WriteString(".PP\n" + roffText("/usr/share/doc/alarmrx/README.md: the configuration, the protocols, "+
		"operating a station.") + "\n")
	return b.Bytes()
}

// commandPage is alarmrx-COMMAND.1.
func (m *manWriter) commandPage(c *manCommand) []byte {
	var b bytes.Buffer
	m.page(&b, "alarmrx-"+c.name, c.summary)
	b.WriteString(".SH SYNOPSIS\n")
	forms := slices.Clone(c.synopsis)
	if !c.explicit {
		for _, s := range c.subs {
			forms = append(forms, s.synopsis...)
		}
	}
	var unique []string
	for _, f := range forms {
		if !slices.Contains(unique, f) {
			unique = append(unique, f)
		}
	}
	synopsis(&b, unique)
	b.WriteString(".SH DESCRIPTION\n")
	b.WriteString(roffText(sentence(c.summary)) + "\n")
	m.blocks(&b, c.ownText())
	if len(c.flags) > 0 {
		b.WriteString(".SH OPTIONS\n")
		m.flagList(&b, c.flags)
	}
	if len(c.subs) > 0 {
		b.WriteString(".SH COMMANDS\n")
		for _, s := range c.subs {
			m.command(&b, s, false)
		}
	}
	b.WriteString(".SH EXIT STATUS\n")
	b.WriteString(roffText("0 on success, 1 when the command failed (standard error says why), "+
		"2 for a wrong command line; see alarmrx(1).") + "\n")
	b.WriteString(".SH SEE ALSO\n.BR alarmrx (1)\n")
	return b.Bytes()
}

// command writes one command's subsection: how it is called, what it
// does, its flags, and its subcommands'.
func (m *manWriter) command(b *bytes.Buffer, c *manCommand, withSubs bool) {
	fmt.Fprintf(b, ".SS %s\n", roffQuote("alarmrx "+c.name))
	synopsis(b, c.synopsis)
	if c.summary != "" {
		b.WriteString(".PP\n" + roffText(sentence(c.summary)) + "\n")
	}
	m.blocks(b, c.ownText())
	if len(c.flags) > 0 {
		b.WriteString(".PP\nFlags:\n")
		m.flagList(b, c.flags)
	}
	if withSubs {
		for _, s := range c.subs {
			m.command(b, s, false)
		}
	}
}

func (m *manWriter) blocks(b *bytes.Buffer, blocks []manBlock) {
	for _, blk := range blocks {
		if blk.para != "" {
			b.WriteString(".PP\n" + roffText(blk.para) + "\n")
			continue
		}
		for _, it := range blk.items {
			b.WriteString(".TP\n" + roffBold(it.tag) + "\n")
			if it.text != "" {
				b.WriteString(roffText(it.text) + "\n")
			}
		}
	}
}

func (m *manWriter) flagList(b *bytes.Buffer, flags []manFlag) {
	for _, f := range flags {
		tag := `\fB` + roffEscape("--"+f.name) + `\fR`
		if f.arg != "" {
			tag += ` \fI` + roffEscape(f.arg) + `\fR`
		}
		b.WriteString(".TP\n" + roffLine(tag) + "\n" + roffText(f.usage) + "\n")
	}
}

// files is the FILES section: where a package install keeps what.
func (m *manWriter) files(b *bytes.Buffer) {
	b.WriteString(".SH FILES\n")
	for _, f := range []manItem{
		{"/etc/alarmrx/alarmrx.yaml", "The configuration the Debian package installs (a conffile). " +
			"A command takes one with --config; without it, the embedded example."},
		{"/var/lib/alarmrx/data", "The data directory (data_dir) of that configuration. On SQLite it holds " +
			store.FileName + ", the database; " + store.JournalFileName + ", the frames acknowledged before their " +
			"signals are built into the database; and " + store.LockFileName + ", the instance lock (a second " +
			"alarmrx on the directory is refused, naming the first one's pid)."},
		{"store.secrets_key_file", "The key that seals the DC-09 keys and passcodes at rest: 64 hex digits, " +
			"mode 0600 (alarmrx keys generate makes one, alarmrx keys rotate changes it)."},
		{"/lib/systemd/system/alarmrx.service", "The systemd unit."},
		{"/usr/share/alarmrx/", "The Prometheus alert rules and the Grafana dashboard."},
	} {
		b.WriteString(".TP\n" + roffBold(f.tag) + "\n" + roffText(f.text) + "\n")
	}
}

// environment is the ENVIRONMENT section: an ALARMRX_ variable for each
// scalar key of the configuration, and the variables the help texts name.
func (m *manWriter) environment(b *bytes.Buffer, cmds []*manCommand) {
	b.WriteString(".SH ENVIRONMENT\n")
	b.WriteString(roffText("Every scalar key of the configuration is overridden by the variable ALARMRX_ and "+
		"its path in capitals, dots as underscores; lists (receivers, listeners, keys) live in the file. "+
		"A variable set but empty counts (ALARMRX_HTTP_LISTEN= turns HTTP off). Durations are written "+
		"as 30s, 5m, 2h or 7d.") + "\n")
	// A variable the help names → the commands whose help names it.
	named := map[string][]string{}
	for _, c := range cmds {
		var text []string
		for _, cc := range append([]*manCommand{c}, c.subs...) {
			text = append(text, cc.summary)
			for _, blk := range cc.text {
				text = append(text, blk.para)
				for _, it := range blk.items {
					text = append(text, it.text)
				}
			}
			for _, f := range cc.flags {
				text = append(text, f.usage)
			}
		}
		for _, v := range manEnvVarName.FindAllString(strings.Join(text, " "), -1) {
			if !slices.Contains(named[v], c.name) {
				named[v] = append(named[v], c.name)
			}
		}
	}
	pages := func(names []string) string {
		var refs []string
		for _, n := range names {
			refs = append(refs, "alarmrx-"+n+"(1)")
		}
		return strings.Join(refs, ", ")
	}
	keys := configKeys()
	for _, v := range slices.Sorted(maps.Keys(named)) {
		if !slices.ContainsFunc(keys, func(k configKey) bool { return k.env() == v }) {
			b.WriteString(".TP\n" + roffBold(v) + "\n" + roffText("Read by "+pages(named[v])+".") + "\n")
		}
	}
	b.WriteString(".PP\nThe configuration's variables, with the key each sets and its default:\n")
	for _, k := range keys {
		what := k.path + ": " + k.kind
		if k.def != "" {
			what += ", default " + k.def
		}
		if cs := named[k.env()]; len(cs) > 0 {
			what += "; read by " + pages(cs) + " too"
		}
		b.WriteString(".TP\n" + roffBold(k.env()) + "\n" + roffText(what) + "\n")
	}
}

// configKey is a scalar key of the configuration, with its default.
type configKey struct{ path, kind, def string }

func (k configKey) env() string {
	return "ALARMRX_" + strings.ToUpper(strings.ReplaceAll(k.path, ".", "_"))
}

// configKeys are the configuration's scalar keys, those an ALARMRX_
// variable overrides: every field of the configuration that is neither a
// section nor a list, as configs.Load gives each a default for the
// environment to reach, with the default configs.Default gives.
func configKeys() []configKey {
	durationType := reflect.TypeFor[time.Duration]()
	var keys []configKey
	var walk func(prefix string, v reflect.Value)
	walk = func(prefix string, v reflect.Value) {
		t := v.Type()
		for i := range t.NumField() {
			f, fv := t.Field(i), v.Field(i)
			key := f.Tag.Get("mapstructure")
			if key == "" || key == "-" {
				continue
			}
			if prefix != "" {
				key = prefix + "." + key
			}
			switch {
			case f.Type == durationType:
				d := time.Duration(fv.Int())
				keys = append(keys, configKey{key, "a duration", manDuration(d)})
			case f.Type.Kind() == reflect.Struct:
				walk(key, fv)
			case f.Type.Kind() == reflect.Slice || f.Type.Kind() == reflect.Map:
			case f.Type.Kind() == reflect.Bool:
				keys = append(keys, configKey{key, "true or false", strconv.FormatBool(fv.Bool())})
			case f.Type.Kind() == reflect.String:
				def := fv.String()
				if def != "" {
					def = strconv.Quote(def)
				}
				keys = append(keys, configKey{key, "text", def})
			default:
				keys = append(keys, configKey{key, "a number", fmt.Sprint(fv.Interface())})
			}
		}
	}
	walk("", reflect.ValueOf(*configs.Default()))
	return keys
}

// manDuration writes d as the configuration takes it: 5s, 10m, 1h30m, 30d.
func manDuration(d time.Duration) string {
	const day = 24 * time.Hour
	if d >= day && d%day == 0 {
		return fmt.Sprintf("%dd", d/day)
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// synopsis writes the forms of a command, one a line.
func synopsis(b *bytes.Buffer, forms []string) {
	for i, s := range forms {
		if i > 0 {
			b.WriteString(".br\n")
		}
		b.WriteString(roffLine(roffEscape(s)) + "\n")
	}
}

// sentence is a summary as a sentence: capitalised, with a full stop.
func sentence(s string) string {
	if s == "" {
		return s
	}
	if s[0] >= 'a' && s[0] <= 'z' {
		s = string(s[0]-'a'+'A') + s[1:]
	}
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// roffEscape makes s safe inside a line of roff: backslashes escaped,
// hyphens the minus sign that commands are typed with, and every
// character outside ASCII by its Unicode name (groff reads its input as
// Latin-1).
func roffEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\e`)
		case r == '-':
			b.WriteString(`\-`)
		case r > 0x7e || r < 0x20:
			if r == '\t' {
				b.WriteByte(' ')
				continue
			}
			fmt.Fprintf(&b, `\[u%04X]`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// roffLine keeps a text line from being read as a request: one that
// begins with a dot or an apostrophe gets a zero-width character first.
func roffLine(s string) string {
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		return `\&` + s
	}
	return s
}

// roffText is text for a filled paragraph.
func roffText(s string) string { return roffLine(roffEscape(s)) }

// roffBold is a text line in bold.
func roffBold(s string) string { return `\fB` + roffEscape(s) + `\fR` }

// roffQuote is a macro argument in double quotes (a double quote in it
// doubled, as groff reads it).
func roffQuote(s string) string {
	return `"` + strings.ReplaceAll(roffEscape(s), `"`, `""`) + `"`
}
