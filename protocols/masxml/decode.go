package masxml

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/alarmcode"
)

// Decode parses and checks one XMLMessageClass and returns it as a
// protocols.Message: Kind "heartbeat" for MessageType HEARTBEAT (no
// events), else "signals" with one event per signal; Sequence the
// MessageSequenceNo, which a retransmission repeats; Detail the *Message.
// MASXML carries no time, receiver or line [automation-research.md §2.12].
//
// A refused message still yields a Message (Kind "rejected") with the
// sequence when it was read, so that Reply echoes it. now is unused.
func (c *Codec) Decode(frame []byte, _ time.Time) (*protocols.Message, error) {
	out := &protocols.Message{Protocol: Name, Kind: "rejected", Detail: &Message{}}
	if len(frame) > c.max {
		return out, protocols.Rejectf(Name, protocols.ReasonTooLong, protocols.ErrFrameTooLong,
			"%d bytes, limit %d", len(frame), c.max)
	}
	p, err := parse(frame)
	out.Sequence = p.seq
	out.Detail = &p.m
	if err != nil {
		return out, err
	}
	m := &p.m
	switch {
	case m.MessageType == "":
		return out, missingf("MessageType is required")
	case !printable(strings.ReplaceAll(m.MessageType+m.SourceID, " ", "")):
		return out, wrongf("MessageType and SourceID: printable ASCII characters")
	case m.Sequence == "":
		return out, missingf("MessageSequenceNo is required")
	}
	if strings.EqualFold(m.MessageType, "HEARTBEAT") {
		out.Kind = "heartbeat"
		return out, nil
	}
	evs, err := events(m.Pairs)
	if err != nil {
		return out, err
	}
	out.Kind, out.Events, out.Account = "signals", evs, evs[0].Account
	return out, nil
}

// Keys of a KeyValuePair that make up a signal, lower-cased: Account,
// EventCode, Area and User are observed [S6]; Zone is in the MASXML column
// of the mapping [automation-research.md §3.3]; Text is ours (I).
const (
	keyAccount = "account"
	keyCode    = "eventcode"
	keyArea    = "area"
	keyZone    = "zone"
	keyUser    = "user"
	keyText    = "text"
)

// signal is one event's pairs while they are grouped.
type signal struct {
	fields map[string]string
	mods   []protocols.Modifier
}

// events groups the pairs into signals and classifies each. The evidence
// shows one signal per message; a key of a signal that comes again starts
// the next signal (I), which inherits the previous one's Account when it
// sends none. Keys are matched without regard to case.
func events(pairs []Pair) ([]protocols.Event, error) {
	var sigs []*signal
	cur := &signal{fields: map[string]string{}}
	sigs = append(sigs, cur)
	for _, kv := range pairs {
		key := strings.ToLower(kv.Key)
		if kv.Value == "" {
			continue
		}
		switch key {
		case keyAccount, keyCode, keyArea, keyZone, keyUser, keyText:
			if _, dup := cur.fields[key]; dup {
				if len(sigs) == MaxSignals {
					return nil, wrongf("more than %d signals", MaxSignals)
				}
				cur = &signal{fields: map[string]string{}}
				sigs = append(sigs, cur)
			}
			cur.fields[key] = kv.Value
			continue
		}
		mod, err := modifier(key, kv.Value)
		if err != nil {
			return nil, err
		}
		cur.mods = append(cur.mods, mod)
	}
	evs := make([]protocols.Event, 0, len(sigs))
	account := ""
	for i, s := range sigs {
		if a := s.fields[keyAccount]; a != "" {
			account = a
		}
		switch {
		case account == "" && s.fields[keyCode] == "":
			return nil, missingf("signal %d: Account and EventCode are required", i+1)
		case account == "":
			return nil, missingf("signal %d: Account is required", i+1)
		case s.fields[keyCode] == "":
			return nil, missingf("signal %d: EventCode is required", i+1)
		}
		if err := checkSignal(i+1, account, s.fields); err != nil {
			return nil, err
		}
		ev, err := alarmcode.Event(alarmcode.Fields{
			Account: account, Code: s.fields[keyCode], Area: s.fields[keyArea],
			Zone: s.fields[keyZone], User: s.fields[keyUser], Text: s.fields[keyText],
		})
		if err != nil {
			return nil, wrongf("signal %d: EventCode %q: %v", i+1, clip(s.fields[keyCode]), err)
		}
		ev.Modifiers = s.mods
		evs = append(evs, ev)
	}
	return evs, nil
}

func checkSignal(n int, account string, f map[string]string) error {
	if len(account) > MaxAccount || strings.IndexFunc(account, func(r rune) bool {
		return !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r == '-')
	}) >= 0 {
		return wrongf("signal %d: Account %q: 1-%d characters A-Z a-z 0-9 -", n, clip(account), MaxAccount)
	}
	for _, k := range []string{keyArea, keyZone, keyUser} {
		if v := f[k]; len(v) > MaxAddress || !printable(v) {
			return wrongf("signal %d: %s %q: at most %d printable characters without space", n, k, clip(v), MaxAddress)
		}
	}
	if len(f[keyText]) > MaxText {
		return wrongf("signal %d: Text longer than %d bytes", n, MaxText)
	}
	return nil
}

// modifier turns a pair that is not a signal field into a media link or an
// attr_ modifier. A key holding "url" is a link [S6: key URL]: a clip, live
// view or snapshot when its key says so (ClipURL, LiveURL, SnapshotURL: I),
// else the portal link. Any other key is kept as attr_<key>.
func modifier(key, value string) (protocols.Modifier, error) {
	if strings.Contains(key, "url") {
		kind := "portal"
		for _, k := range []string{"clip", "live", "snapshot"} {
			if strings.Contains(key, k) {
				kind = k
				break
			}
		}
		if len(value) > MaxURL {
			return protocols.Modifier{}, wrongf("%s longer than %d bytes", key, MaxURL)
		}
		lower := strings.ToLower(value)
		if !strings.HasPrefix(lower, "https://") && !strings.HasPrefix(lower, "http://") || !printable(value) {
			return protocols.Modifier{}, wrongf("%s %q is not an http(s) URL", clip(key), clip(value))
		}
		return protocols.Modifier{Name: "media_" + kind, Value: value}, nil
	}
	if len(value) > MaxText {
		return protocols.Modifier{}, wrongf("%s longer than %d bytes", clip(key), MaxText)
	}
	if key == keyPosition && validPosition(value) {
		return protocols.Modifier{Name: "position", Value: value}, nil
	}
	return protocols.Modifier{Name: "attr_" + attrName(key), Value: value}, nil
}

// keyPosition is the key EncodeSignal writes an event's position under
// (I: no MASXML sender is known to send one). Its value "lat,lon" is the
// position modifier other dialects make (xmlsignal); any other value is
// kept as attr_position.
const keyPosition = "position"

// validPosition reports "lat,lon": two decimal numbers, latitude within
// ±90 and longitude within ±180.
func validPosition(v string) bool {
	lat, lon, ok := strings.Cut(v, ",")
	if !ok || len(v) > 64 {
		return false
	}
	a, errA := decimal(lat)
	b, errB := decimal(lon)
	return errA == nil && errB == nil && a >= -90 && a <= 90 && b >= -180 && b <= 180
}

// decimal parses a plain decimal number (no hexadecimal, infinity or NaN
// forms, which strconv.ParseFloat would take).
func decimal(s string) (float64, error) {
	if s == "" || strings.Trim(s, "0123456789.+-eE") != "" {
		return 0, strconv.ErrSyntax
	}
	return strconv.ParseFloat(s, 64)
}

// attrName keeps a lower-cased key's letters, digits, '_', '-' and '.',
// and writes '_' for anything else.
func attrName(key string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.' {
			return r
		}
		return '_'
	}, key)
}

// printable reports printable ASCII without space ("" is printable).
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// CodeFor returns the result code for a decode or pipeline outcome: nil and
// an unknown account (stored and acknowledged) are accepted.
func CodeFor(outcome error) int {
	if outcome == nil {
		return CodeOK
	}
	switch protocols.ReasonOf(outcome) {
	case protocols.ReasonUnknownAccount:
		return CodeOK
	case protocols.ReasonTooLong:
		return CodePoorlyFormed
	case protocols.ReasonSyntax:
		if errors.Is(outcome, ErrMissing) || errors.Is(outcome, ErrWrongContent) {
			return CodeInvalid
		}
		return CodePoorlyFormed
	case protocols.ReasonToken:
		return CodeInvalid
	}
	// ReasonStore, ReasonShutdown, and anything else: not stored.
	return CodeNotStored
}
