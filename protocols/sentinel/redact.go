package sentinel

import (
	"bytes"
	"encoding/json"
	"time"
)

// Redact returns raw with the value of every secret key (passkey,
// password, token…: isSecretKey) replaced by Redacted, whether or not the
// line parses: segments are cut at '|' and at line ends. An XML line is
// not read at all (its payload is unknown), so one that names a secret is
// replaced whole. raw itself is returned when nothing is secret.
func (c *Codec) Redact(raw []byte) []byte {
	if t := bytes.TrimLeft(raw, " \t\r\n\x00"); len(t) > 0 && t[0] == '<' {
		low := bytes.ToLower(raw)
		for _, s := range []string{"pass", "secret", "token", "auth", "key", "pin"} {
			if bytes.Contains(low, []byte(s)) {
				return []byte(Redacted)
			}
		}
		return raw
	}
	var out []byte
	copied, seg := 0, 0
	for i := 0; i <= len(raw); i++ {
		if i < len(raw) && raw[i] != '|' && !isTerminator(raw[i]) {
			continue
		}
		eq := bytes.IndexByte(raw[seg:i], '=')
		if eq >= 0 && isSecretKey(normKey(string(bytes.Trim(raw[seg:seg+eq], " \t")))) {
			out = append(out, raw[copied:seg+eq+1]...)
			out = append(out, Redacted...)
			copied = i
		}
		seg = i + 1
	}
	if out == nil {
		return raw
	}
	return append(out, raw[copied:]...)
}

// RebuildDetail renders the Detail JSON Decode gives frame: Decode reads
// nothing but the frame's bytes.
func (c *Codec) RebuildDetail(frame []byte) (json.RawMessage, bool) {
	m, err := c.Decode(frame, time.Time{})
	if err != nil || m == nil || m.Detail == nil {
		return nil, false
	}
	b, err := json.Marshal(m.Detail)
	if err != nil {
		return nil, false
	}
	return b, true
}
