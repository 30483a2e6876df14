package sia

import (
	"strings"

	"github.com/alarmrx/alarmrx/protocols"
)

const (
	// maxAccount is the longest account DC-09 allows in "#acct" [DC-09 §account].
	maxAccount = 16
	// maxModifiers bounds the distinct modifiers one block may carry. DC-03
	// defines eight; the bound keeps the parser's working set on the stack.
	maxModifiers = 16
)

// ParsePayload parses DC-03 event data as carried in DC-09 SIA-DCS and in
// Sur-Gard S records: "#acct|Nri1/BA012|Atext". account is "" when the data
// carries none.
//
// The grammar is "#acct|" followed by blocks separated by "|"; an event
// block is a function code (N new, O old, L listen-in) and items separated
// by "/" (or ","); an item is zero or more modifiers (two lower-case letters
// and a value) and at most one event (two upper-case letters and an
// address), each optionally followed by text [DC-03 §event data]. Modifiers
// persist for the following events of their block. An A block holds text
// for the events before it.
//
// Tolerated departures seen in the field (protocols.md §2.2, §3.13): no
// "#acct|" at all or a bare "|"; no function code ("NL2" is event NL area 2,
// while "NNL2" is the same event with its N); no "/" between modifiers and
// the event; "," for "/"; text as ^text^, *'text'NM (X-SIA) or *text*
// (Sur-Gard internal events); the trailer NM after an address; text as a
// last "/A" item (extended SIA level 3); a listen-in time "/L90".
//
// Each event gets Qualifier Restore when its code reports a restore, else
// New (an old event keeps the qualifier of its code); Partition from ri, or
// from the address of an area code; User from the address of a user code,
// else from id; Zone from the address of a zone code; PanelTime from ti and
// da; its block's Modifiers in order of first appearance; Text from its own
// text, text read before it and A blocks after it, joined by spaces.
//
// Unknown codes are kept with Known false and their address read as a zone.
// Empty data gives no events and no error. Errors are *protocols.FrameError
// wrapping ErrSyntax.
func ParsePayload(data []byte) (account string, events []protocols.Event, err error) {
	data = trimSpace(data)
	if len(data) == 0 {
		return "", nil, nil
	}
	// One conversion: every string in the events is a substring of it.
	p := parser{s: string(data)}
	if err := p.payload(); err != nil {
		return "", nil, err
	}
	return p.account, p.events, nil
}

// parser holds the state of one ParsePayload call.
type parser struct {
	s       string
	account string
	events  []protocols.Event
	// mods is the backing store of every event's Modifiers.
	mods []protocols.Modifier
	// running is the block's modifiers so far, in order of first appearance.
	running  [maxModifiers]protocols.Modifier
	nRunning int
	// pendingText is text read before the event it belongs to.
	pendingText string
	// textFrom is the first event an A block's text attaches to.
	textFrom int
}

// parserState is what an attempt to read a block changes.
type parserState struct {
	events, mods, textFrom int
	pendingText            string
}

func (p *parser) save() parserState {
	return parserState{events: len(p.events), mods: len(p.mods), textFrom: p.textFrom, pendingText: p.pendingText}
}

func (p *parser) restore(st parserState) {
	p.events = p.events[:st.events]
	p.mods = p.mods[:st.mods]
	p.textFrom = st.textFrom
	p.pendingText = st.pendingText
}

func (p *parser) payload() error {
	s, pos := p.s, 0
	if s[0] == '#' {
		pos = 1
		for pos < len(s) && isHex(s[pos]) {
			pos++
		}
		p.account = s[1:pos]
		if len(p.account) > maxAccount {
			return syntaxError("account %q is longer than %d characters", p.account, maxAccount)
		}
		if pos < len(s) && s[pos] != '|' {
			return syntaxError("account %q is followed by %q, not '|'", p.account, s[pos])
		}
	}
	for pos < len(s) {
		if s[pos] == '|' { // empty blocks are skipped
			pos++
			continue
		}
		end, err := p.block(pos)
		if err != nil {
			return err
		}
		pos = end
	}
	return nil
}

// block reads the block at pos and returns the offset of its end.
func (p *parser) block(pos int) (int, error) {
	switch p.s[pos] {
	case 'A':
		// A data that starts the payload may be an event block without its
		// N ("AR" AC restoral); after an event it is always text.
		if len(p.events) == 0 {
			st := p.save()
			if end, n, err := p.attempt(pos); err == nil && n > 0 {
				return end, nil
			}
			p.restore(st)
		}
		end := p.blockEnd(pos + 1)
		p.attachText(p.s[pos+1:end], p.textFrom)
		return end, nil

	case 'N', 'O', 'L':
		// New, old and listen-in blocks carry events alike; an old event is
		// one already reported, which changes nothing in the event itself.
		// Reading past the function code is tried first, so "NNL2" is NL;
		// then the code is taken as part of an event, so "NL2" is NL too.
		st := p.save()
		end, n, err := p.attempt(pos + 1)
		if err == nil && n > 0 {
			return end, nil
		}
		p.restore(st)
		end2, n2, err2 := p.attempt(pos)
		if err2 == nil && n2 > 0 {
			return end2, nil
		}
		p.restore(st)
		switch { // a block without events, such as "Nri1"
		case err == nil:
			end, _, err = p.attempt(pos + 1)
		case err2 == nil:
			end, _, err = p.attempt(pos)
		}
		return end, err
	}
	// A block without function code ("ri1/BA012", "BA012").
	end, _, err := p.attempt(pos)
	return end, err
}

// attempt reads the items of a block from pos. It returns the end of the
// block and the number of events read.
func (p *parser) attempt(pos int) (end, events int, err error) {
	p.nRunning = 0 // modifiers do not carry over into another block
	first := len(p.events)
	end, err = p.items(pos, first)
	return end, len(p.events) - first, err
}

// items reads "/"-separated items up to the end of the block.
func (p *parser) items(pos, blockEvents int) (int, error) {
	s := p.s
	for first := true; ; first = false {
		if !first && pos < len(s) {
			switch {
			case s[pos] == 'A' && !p.eventAt(pos):
				// Extended SIA level 3 text "/AText" runs to the end of the
				// block (Cooper/Eaton i-on manuals).
				end := p.blockEnd(pos + 1)
				p.attachText(s[pos+1:end], blockEvents)
				return end, nil
			case s[pos] == 'L' && pos+1 < len(s) && isDigit(s[pos+1]):
				// "/L90": keep the line open 90 s for listen-in. Audio is not
				// ours to handle; the instruction is read and dropped.
				pos++
				for pos < len(s) && isDigit(s[pos]) {
					pos++
				}
				if pos < len(s) && !isSeparator(s[pos]) {
					return 0, syntaxError("unexpected %q at offset %d after a listen-in time", s[pos], pos)
				}
			}
		}

		// Modifiers: two lower-case letters and a value [DC-03 §modifiers].
		for pos < len(s) && isLower(s[pos]) {
			if pos+1 == len(s) || !isLower(s[pos+1]) {
				return 0, syntaxError("modifier at offset %d is not two lower-case letters", pos)
			}
			name := s[pos : pos+2]
			pos += 2
			start := pos
			for pos < len(s) && isValueByte(s[pos]) {
				pos++
			}
			if err := p.setModifier(name, s[start:pos]); err != nil {
				return 0, err
			}
			if pos < len(s) && isTextStart(s[pos]) {
				// Text after a modifier names what it designates (Jablotron
				// "ri01^TOTAL^"); it goes with the next event.
				text, end, err := p.text(pos)
				if err != nil {
					return 0, err
				}
				p.pendingText = joinText(p.pendingText, text)
				pos = end
			}
		}

		// At most one event: code, address, text.
		if pos+1 < len(s) && isUpper(s[pos]) && isUpper(s[pos+1]) {
			code, address, text, end, err := p.event(pos)
			if err != nil {
				return 0, err
			}
			p.addEvent(code, address, text)
			pos = end
		}

		switch {
		case pos == len(s) || s[pos] == '|':
			// Text read after the last modifier of a block belongs to the
			// block's last event when no event follows it.
			if p.pendingText != "" && len(p.events) > blockEvents {
				last := &p.events[len(p.events)-1]
				last.Text = joinText(last.Text, p.pendingText)
				p.pendingText = ""
			}
			return pos, nil
		case s[pos] == '/' || s[pos] == ',': // receivers may turn "/" into "," [field]
			pos++
		default:
			return 0, syntaxError("unexpected %q at offset %d", s[pos], pos)
		}
	}
}

// event reads an event at pos: two upper-case letters, the address digits,
// optional text and an optional NM trailer.
func (p *parser) event(pos int) (code, address, text string, end int, err error) {
	s := p.s
	code = s[pos : pos+2]
	pos += 2
	start := pos
	for pos < len(s) && isDigit(s[pos]) {
		pos++
	}
	address = s[start:pos]
	if pos < len(s) && isTextStart(s[pos]) {
		if text, pos, err = p.text(pos); err != nil {
			return "", "", "", 0, err
		}
	}
	// Osborne-Hoffman style senders end an event with NM even without text
	// ("Nri04/OP001NM"). Glued to the address it cannot be event NM, which
	// would need a separator before it.
	if strings.HasPrefix(s[pos:], "NM") && (pos+2 == len(s) || isSeparator(s[pos+2])) {
		pos += 2
	}
	return code, address, text, pos, nil
}

// eventAt reports whether a whole item at pos reads as one event.
func (p *parser) eventAt(pos int) bool {
	if pos+1 >= len(p.s) || !isUpper(p.s[pos+1]) {
		return false
	}
	_, _, _, end, err := p.event(pos)
	return err == nil && (end == len(p.s) || isSeparator(p.s[end]))
}

// text reads free text at pos: ^text^, *'text' with an optional trailer of
// capitals and digits (X-SIA "*'HA Overloop'NM"), or *text*.
func (p *parser) text(pos int) (text string, end int, err error) {
	s := p.s
	if s[pos] == '*' && pos+1 < len(s) && s[pos+1] == '\'' {
		i := strings.IndexByte(s[pos+2:], '\'')
		if i < 0 {
			return "", 0, syntaxError("text at offset %d has no closing quote", pos)
		}
		text, end = s[pos+2:pos+2+i], pos+3+i
		for end < len(s) && (isUpper(s[end]) || isDigit(s[end])) {
			end++
		}
		return text, end, nil
	}
	delim := s[pos]
	i := strings.IndexByte(s[pos+1:], delim)
	if i < 0 {
		return "", 0, syntaxError("text at offset %d has no closing %q", pos, delim)
	}
	return s[pos+1 : pos+1+i], pos + 2 + i, nil
}

// blockEnd returns the offset of the "|" ending the block, or len(s).
func (p *parser) blockEnd(pos int) int {
	if i := strings.IndexByte(p.s[pos:], '|'); i >= 0 {
		return pos + i
	}
	return len(p.s)
}

// attachText gives text to the events from index from on, or keeps it for
// the next event when there are none.
func (p *parser) attachText(text string, from int) {
	if from >= len(p.events) {
		p.pendingText = joinText(p.pendingText, text)
		return
	}
	for i := from; i < len(p.events); i++ {
		p.events[i].Text = joinText(p.events[i].Text, text)
	}
	p.textFrom = len(p.events)
}

// setModifier records a modifier for the rest of the block. A modifier sent
// again replaces its value in place, so an event carries each name once.
func (p *parser) setModifier(name, value string) error {
	for i := 0; i < p.nRunning; i++ {
		if p.running[i].Name == name {
			p.running[i].Value = value
			return nil
		}
	}
	if p.nRunning == maxModifiers {
		return syntaxError("more than %d modifiers in one block", maxModifiers)
	}
	p.running[p.nRunning] = protocols.Modifier{Name: name, Value: value}
	p.nRunning++
	return nil
}

// addEvent appends an event carrying the block's modifiers so far.
func (p *parser) addEvent(code, address, text string) {
	var mods []protocols.Modifier
	if p.nRunning > 0 {
		if p.mods == nil {
			p.mods = make([]protocols.Modifier, 0, 2*p.nRunning)
		}
		start := len(p.mods)
		p.mods = append(p.mods, p.running[:p.nRunning]...)
		mods = p.mods[start:len(p.mods):len(p.mods)]
	}
	text = joinText(p.pendingText, text)
	p.pendingText = ""
	p.events = append(p.events, newEvent(p.account, code, address, text, mods))
}

// newEvent builds one event and classifies it by the code table.
func newEvent(account, code, address, text string, mods []protocols.Modifier) protocols.Event {
	ev := protocols.Event{
		Format:    protocols.FormatSIA,
		Account:   account,
		Code:      code,
		Qualifier: protocols.QualifierNew,
		Address:   address,
		Text:      text,
		Modifiers: mods,
		// Most DC-03 codes address a zone or point; an unknown code is
		// assumed to as well.
		AddressKind: protocols.AddressZone,
	}
	if row, ok := Lookup(code); ok {
		ev.Known = true
		ev.Description = row.Name
		ev.Category = row.Category
		ev.AddressKind = row.Address
		if row.Restore {
			ev.Qualifier = protocols.QualifierRestore
		}
	}
	var ti, da string
	for _, m := range mods {
		switch m.Name {
		case "ri": // area [DC-03 §modifiers]
			ev.Partition = m.Value
		case "id": // user number
			ev.User = m.Value
		case "ti":
			ti = m.Value
		case "da":
			da = m.Value
		}
	}
	switch ev.AddressKind {
	case protocols.AddressZone:
		ev.Zone = address
	case protocols.AddressUser:
		if address != "" { // the code's own user number beats a general id
			ev.User = address
		}
	case protocols.AddressArea:
		if ev.Partition == "" {
			ev.Partition = address
		}
	}
	ev.PanelTime = panelTime(ti, da)
	return ev
}

// joinText joins two pieces of text for one event with a space.
func joinText(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + " " + b
}

// isValueByte reports a byte of a modifier value: digits and the ":" "-"
// "." of times and dates.
func isValueByte(c byte) bool {
	return isDigit(c) || c == ':' || c == '-' || c == '.'
}

func isTextStart(c byte) bool { return c == '^' || c == '*' }

// isSeparator reports a byte that ends an item.
func isSeparator(c byte) bool { return c == '/' || c == ',' || c == '|' }

// trimSpace drops white space and NUL padding around the data.
func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == 0 }
