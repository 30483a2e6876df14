package manitou

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/alarmrx/alarmrx/protocols"
	ichar "github.com/alarmrx/alarmrx/protocols/internal/charset"
	"github.com/alarmrx/alarmrx/protocols/internal/xmltext"
)

// node is one element of a frame, read without a schema: Manitou's element
// and attribute names are matched in any letter case and the place of the
// account is not known [§2.4], so the frame is read as a tree first and
// interpreted after.
type node struct {
	name     string // local name, as received
	attrs    []xml.Attr
	text     strings.Builder // character data directly inside, CDATA included
	children []*node

	attrIndex  map[string]int
	childIndex map[string]*node
}

// leaf reports whether n has no child element.
func (n *node) leaf() bool { return len(n.children) == 0 }

// foldKey is name folded as strings.EqualFold folds the ASCII names looked
// for: lower case, with KELVIN SIGN (→ k, by ToLower) and LONG S (→ s) the
// only non-ASCII runes that fold to an ASCII letter.
func foldKey(name string) string {
	return strings.ReplaceAll(strings.ToLower(name), "\u017f", "s")
}

// index builds, once, the maps from folded name to the first attribute
// and the first child element so named: each lookup is then one map read,
// however many attributes or children a frame crams into an element.
func (n *node) index() {
	if n.attrIndex != nil {
		return
	}
	n.attrIndex = make(map[string]int, len(n.attrs))
	for i := len(n.attrs) - 1; i >= 0; i-- {
		n.attrIndex[foldKey(n.attrs[i].Name.Local)] = i
	}
	n.childIndex = make(map[string]*node, len(n.children))
	for i := len(n.children) - 1; i >= 0; i-- {
		n.childIndex[foldKey(n.children[i].name)] = n.children[i]
	}
}

// attr returns the value and the name as received of the first attribute
// named name in any letter case.
func (n *node) attr(name string) (string, string, bool) {
	n.index()
	if i, ok := n.attrIndex[foldKey(name)]; ok {
		return n.attrs[i].Value, n.attrs[i].Name.Local, true
	}
	return "", "", false
}

// child returns the first child element named name in any letter case.
func (n *node) child(name string) (*node, bool) {
	n.index()
	c, ok := n.childIndex[foldKey(name)]
	return c, ok
}

func syntaxf(format string, args ...any) error {
	return protocols.Rejectf(Name, protocols.ReasonSyntax, ErrSyntax, format, args...)
}

// parseTree reads one XML document with encoding/xml in strict mode. A
// DTD or any other declaration (<!DOCTYPE, <!ENTITY) is refused before
// anything after it is read, and no entity beyond XML's five is defined,
// so neither external entities nor entity expansion can happen. Only white
// space, comments and processing instructions may stand outside the root
// element.
func parseTree(doc []byte) (*node, error) {
	d := xml.NewDecoder(bytes.NewReader(doc))
	d.Strict = true
	d.CharsetReader = charsetReader
	var root *node
	var stack []*node
	elements := 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var ce *charsetError
			if errors.As(err, &ce) {
				return nil, syntaxf("encoding %s: UTF-8, ISO-8859-1 or Windows-1252", xmltext.QuoteLabel(ce.name))
			}
			return nil, syntaxf("XML: %s", xmltext.ErrorText(err))
		}
		switch t := tok.(type) {
		case xml.Directive:
			return nil, syntaxf("a DTD or declaration (<!%s…) is not accepted", firstWord(t))
		case xml.StartElement:
			if len(stack) == 0 && root != nil {
				return nil, syntaxf("a second root element <%s>", t.Name.Local)
			}
			if elements++; elements > maxElements {
				return nil, protocols.Rejectf(Name, protocols.ReasonSyntax, ErrWrongContent, "more than %d elements", maxElements)
			}
			if len(stack) == maxDepth {
				return nil, syntaxf("elements nested deeper than %d", maxDepth)
			}
			n := &node{name: t.Name.Local, attrs: t.Attr}
			if len(stack) == 0 {
				root = n
			} else {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 {
				if len(bytes.Trim(t, " \t\r\n")) > 0 {
					return nil, syntaxf("text outside the root element")
				}
				continue
			}
			stack[len(stack)-1].text.Write(t)
		}
	}
	if root == nil {
		return nil, syntaxf("no root element")
	}
	return root, nil
}

func firstWord(b []byte) string {
	i := bytes.IndexAny(b, " \t\r\n[")
	if i < 0 {
		i = len(b)
	}
	w := b[:min(i, 16)]
	if !utf8.Valid(w) {
		return "?"
	}
	return string(w)
}

// charsetError names an encoding the frame declared that is not accepted.
type charsetError struct{ name string }

func (e *charsetError) Error() string { return "unsupported encoding " + xmltext.QuoteLabel(e.name) }

// charsetReader turns ISO-8859-1 and Windows-1252 into UTF-8; encoding/xml
// reads UTF-8 itself and calls this for any other declared encoding.
// Anything else is refused: a sender in the field writes one of these
// three (I).
func charsetReader(charset string, input io.Reader) (io.Reader, error) {
	c, ok := ichar.Lookup(charset)
	if !ok || c == ichar.UTF8 {
		return nil, &charsetError{name: charset}
	}
	return ichar.Reader(input, c)
}
