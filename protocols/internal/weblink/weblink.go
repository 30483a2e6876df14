// Package weblink makes a media link fit for a dialect's message, as the
// decoders take it back: the sending sides of the XML dialects share it.
package weblink

import "strings"

// Clean returns u as a link the dialects carry: http:// or https:// (the
// scheme lower-cased) with something after it, printable ASCII (space,
// control and other bytes percent-escaped [RFC 3986 §2.1], as a browser
// sends an IRI), at most max bytes; "" for anything else. A link too long
// is left out rather than cut: a cut link points nowhere.
func Clean(u string, max int) string {
	u = strings.TrimSpace(u)
	scheme := ""
	for _, sc := range []string{"https://", "http://"} {
		if len(u) > len(sc) && strings.EqualFold(u[:len(sc)], sc) {
			scheme, u = sc, sc+u[len(sc):]
			break
		}
	}
	if scheme == "" {
		return ""
	}
	const hex = "0123456789ABCDEF"
	var b []byte
	for i := 0; i < len(u); i++ {
		c := u[i]
		if c > ' ' && c <= '~' {
			if b != nil {
				b = append(b, c)
			}
			continue
		}
		if b == nil {
			b = append(make([]byte, 0, len(u)+16), u[:i]...)
		}
		b = append(b, '%', hex[c>>4], hex[c&15])
	}
	if b != nil {
		u = string(b)
	}
	if len(u) > max {
		return ""
	}
	return u
}
