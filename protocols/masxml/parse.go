package masxml

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"

	"github.com/alarmrx/alarmrx/protocols"
)

// maxRead bounds any text element but PacketData while it is read: the
// longest field kept is a URL.
const maxRead = MaxURL

func syntaxf(format string, args ...any) error {
	return protocols.Rejectf(Name, protocols.ReasonSyntax, ErrSyntax, format, args...)
}

func missingf(format string, args ...any) error {
	return protocols.Rejectf(Name, protocols.ReasonSyntax, ErrMissing, format, args...)
}

func wrongf(format string, args ...any) error {
	return protocols.Rejectf(Name, protocols.ReasonSyntax, ErrWrongContent, format, args...)
}

// parser reads one XMLMessageClass token by token, so that a directive is
// refused before anything after it is read and PacketData is counted, not
// kept.
type parser struct {
	dec *xml.Decoder
	m   Message
	// seq is the MessageSequenceNo once read and valid: a refusal after it
	// still echoes it.
	seq        string
	seenType   bool
	seenSource bool
	seenSeq    bool
}

// parse decodes frame into a Message without interpreting its pairs.
func parse(frame []byte) (*parser, error) {
	p := &parser{dec: xml.NewDecoder(bytes.NewReader(frame))}
	p.dec.Strict = true
	p.dec.CharsetReader = charsetReader
	root, err := p.prolog()
	if err != nil {
		return p, err
	}
	if root.Name.Local != "XMLMessageClass" {
		return p, syntaxf("root element <%s>: want XMLMessageClass", clip(root.Name.Local))
	}
	if err := p.body(); err != nil {
		return p, err
	}
	return p, p.epilogue()
}

// token returns the next token, refusing any directive (<!DOCTYPE …>,
// <!ENTITY …>): no entity is ever defined, so neither XXE nor entity
// expansion can happen.
func (p *parser) token() (xml.Token, error) {
	t, err := p.dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, syntaxf("message ends before </XMLMessageClass>")
		}
		return nil, syntaxf("XML: %v", err)
	}
	if _, ok := t.(xml.Directive); ok {
		return nil, syntaxf("DTD or other <!…> directive refused")
	}
	return t, nil
}

// prolog reads up to the root element: the declaration (handled by the
// decoder, which asks charsetReader for a charset other than UTF-8),
// comments and white space.
func (p *parser) prolog() (xml.StartElement, error) {
	for {
		t, err := p.token()
		if err != nil {
			return xml.StartElement{}, err
		}
		switch t := t.(type) {
		case xml.StartElement:
			return t, nil
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return xml.StartElement{}, syntaxf("text before the root element")
			}
		}
	}
}

// epilogue accepts nothing but white space and comments after the root.
func (p *parser) epilogue() error {
	for {
		t, err := p.dec.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return syntaxf("XML after the root element: %v", err)
		}
		switch t := t.(type) {
		case xml.Comment:
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return syntaxf("content after the root element")
			}
		default:
			return syntaxf("content after the root element")
		}
	}
}

// body reads the root's children. Element names are matched without regard
// to case (I: the evidence shows one spelling); unknown elements are
// skipped.
func (p *parser) body() error {
	for {
		t, err := p.token()
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case xml.EndElement:
			return nil
		case xml.StartElement:
			if err := p.child(t); err != nil {
				return err
			}
		}
	}
}

func (p *parser) child(t xml.StartElement) error {
	name := t.Name.Local
	switch {
	case strings.EqualFold(name, "MessageType"):
		return p.header(name, &p.seenType, &p.m.MessageType)
	case strings.EqualFold(name, "SourceID"):
		return p.header(name, &p.seenSource, &p.m.SourceID)
	case strings.EqualFold(name, "MessageSequenceNo"):
		if err := p.header(name, &p.seenSeq, &p.m.Sequence); err != nil {
			return err
		}
		if !isDigits(p.m.Sequence, MaxSequence) {
			return wrongf("MessageSequenceNo %q: 1-%d digits", clip(p.m.Sequence), MaxSequence)
		}
		p.seq = p.m.Sequence
		return nil
	case strings.EqualFold(name, "KeyValuePair"):
		return p.pair()
	case strings.EqualFold(name, "Payload"):
		return p.payload()
	case strings.EqualFold(name, "PacketData"):
		n, err := p.count()
		if err != nil {
			return err
		}
		p.photo(Photo{Length: n})
		return nil
	}
	return p.skip()
}

// header reads a header element once; a second one is refused, since it
// could name another sequence.
func (p *parser) header(name string, seen *bool, dst *string) error {
	if *seen {
		return wrongf("<%s> given twice", name)
	}
	*seen = true
	s, err := p.text(name, MaxHeader)
	*dst = s
	return err
}

func (p *parser) pair() error {
	if len(p.m.Pairs) == MaxPairs {
		return wrongf("more than %d KeyValuePair elements", MaxPairs)
	}
	var kv Pair
	var haveKey bool
	for {
		t, err := p.token()
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case xml.EndElement:
			if !haveKey || kv.Key == "" {
				return missingf("KeyValuePair without a Key")
			}
			p.m.Pairs = append(p.m.Pairs, kv)
			return nil
		case xml.StartElement:
			switch {
			case strings.EqualFold(t.Name.Local, "Key") && !haveKey:
				haveKey = true
				if kv.Key, err = p.text("Key", MaxKey); err != nil {
					return err
				}
			case strings.EqualFold(t.Name.Local, "Value"):
				if kv.Value, err = p.text("Value", maxRead); err != nil {
					return err
				}
			default:
				if err := p.skip(); err != nil {
					return err
				}
			}
		}
	}
}

// payload reads a chunked photo [automation-research.md §2.3].
func (p *parser) payload() error {
	var ph Photo
	for {
		t, err := p.token()
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case xml.EndElement:
			p.photo(ph)
			return nil
		case xml.StartElement:
			n := t.Name.Local
			switch {
			case strings.EqualFold(n, "PayloadID"):
				ph.PayloadID, err = p.text(n, MaxHeader)
			case strings.EqualFold(n, "PacketNumber"):
				ph.PacketNumber, err = p.text(n, MaxHeader)
			case strings.EqualFold(n, "FileName"):
				ph.FileName, err = p.text(n, MaxFileName)
			case strings.EqualFold(n, "LastFile"):
				ph.LastFile, err = p.text(n, MaxHeader)
			case strings.EqualFold(n, "PacketData"):
				var k int
				k, err = p.count()
				ph.Length += k
			default:
				err = p.skip()
			}
			if err != nil {
				return err
			}
		}
	}
}

func (p *parser) photo(ph Photo) {
	if len(p.m.Photos) == MaxPhotos {
		p.m.PhotosDropped++
		return
	}
	p.m.Photos = append(p.m.Photos, ph)
}

// text reads an element's text, trimmed; an element inside it is refused.
func (p *parser) text(name string, max int) (string, error) {
	var b []byte
	for {
		t, err := p.token()
		if err != nil {
			return "", err
		}
		switch t := t.(type) {
		case xml.CharData:
			b = append(b, t...)
			if len(b) > max && len(bytes.TrimSpace(b)) > max {
				return "", wrongf("<%s> longer than %d bytes", name, max)
			}
		case xml.StartElement:
			return "", syntaxf("element <%s> inside <%s>", clip(t.Name.Local), name)
		case xml.EndElement:
			s := strings.TrimSpace(string(b))
			if len(s) > max {
				return "", wrongf("<%s> longer than %d bytes", name, max)
			}
			return s, nil
		}
	}
}

// count reads PacketData and returns how many non-space characters it
// holds: the photo itself is not kept.
func (p *parser) count() (int, error) {
	n := 0
	for {
		t, err := p.token()
		if err != nil {
			return 0, err
		}
		switch t := t.(type) {
		case xml.CharData:
			for _, c := range t {
				if c > ' ' {
					n++
				}
			}
		case xml.StartElement:
			return 0, syntaxf("element <%s> inside <PacketData>", clip(t.Name.Local))
		case xml.EndElement:
			return n, nil
		}
	}
}

// skip reads past the element just opened.
func (p *parser) skip() error {
	for depth := 1; depth > 0; {
		t, err := p.token()
		if err != nil {
			return err
		}
		switch t.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		}
	}
	return nil
}

func isDigits(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// clip shortens what an error message quotes from the input.
func clip(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return strings.ToValidUTF8(s, "?")
}
