package dc09

import (
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/contactid"
	"github.com/alarmrx/alarmrx/protocols/sia"
)

// ID tokens a receiver accepts [DC-09 §3.3, §3.6].
const (
	TokenSIA  = "SIA-DCS"
	TokenCID  = "ADM-CID"
	TokenNull = "NULL"
)

// Decode decodes one frame as Split returns it (LF to CR; trailing NULs are
// ignored) and applies the receiver's policy. now is the receiver's clock.
//
// In order:
//
//   - envelope and CRC: a bad CRC is ReasonCRC, and Reply sends nothing
//     [DC-09 §3.8, test plan C.2.3.5];
//   - header grammar: sequence, R, L, account. A header whose fields cannot
//     be read is ReasonSyntax with a nil Message: Reply sends nothing rather
//     than echo garbage. Tolerated deviations (wrong length with a right CRC,
//     lower-case hex, a bare L, no L, no L and no R, the binary CRC) go to
//     Message.Deviations [DC-09 §3.13]. A header without L is line "0";
//   - ID token: SIA-DCS, ADM-CID and NULL, plain or '*'. Anything else,
//     replies (ACK, NAK, DUH, RSP) included, is ReasonToken: DUH, except
//     that Reply never answers a DUH or a NAK (see Reply);
//   - key: looked up by the header account. A plain frame for an account
//     that has a key is ReasonUnencrypted (DUH): such an account must
//     encrypt [DC-09-2013 §5.5.3.3];
//   - data: in clear, a grammar error in the blocks after a readable header
//     is ReasonSyntax, answered with DUH. Encrypted: no key is
//     ReasonNoKey, data that does not decrypt ReasonDecrypt, both answered
//     with NAK [DC-09 §3.8, §3.10];
//   - timestamp: required in encrypted frames, checked against the window
//     always for encrypted frames and for plain ones with ApplyToPlain;
//     missing or outside is ReasonTimestamp, a NAK with the receiver's time
//     [DC-09 §3.9];
//   - account: in an encrypted frame, every account the data names must be
//     the header's (leading zeros and case aside), else
//     ReasonAccountMismatch (NAK) [DC-09 §3.10: the inner #acct is the
//     substitution defence];
//   - payload: SIA-DCS through sia.ParsePayload, ADM-CID through
//     contactid.ParsePayload. Unknown codes are events with Known false;
//     data the payload parser cannot read, or that holds no event, becomes
//     one event with Known false, no Code and the data as Text. Neither is
//     an error: the frame is ACKed and nothing is lost [DC-09 §3.8 practical
//     policy]. Empty data and NULL frames carry no events.
//
// Errors are *protocols.FrameError values. When the header was read the
// returned Message is not nil even on error, so that Reply can echo it.
func (c *Codec) Decode(frame []byte, now time.Time) (*protocols.Message, error) {
	// The Message and its Frame share one allocation.
	d := new(struct {
		m protocols.Message
		f Frame
	})
	p, err := parseHeader(frame, &d.f)
	if err != nil {
		return nil, err
	}
	f := p.f
	m := &d.m
	*m = protocols.Message{
		Protocol:  Name,
		Kind:      f.Token,
		Account:   f.Account,
		Receiver:  f.Receiver,
		Line:      messageLine(f),
		Sequence:  f.Sequence,
		Encrypted: f.Encrypted,
		Detail:    f,
	}
	fail := func(err error) (*protocols.Message, error) {
		m.Deviations = p.devs.slice()
		return m, err
	}

	switch f.Token {
	case TokenSIA, TokenCID, TokenNull:
	default:
		// [DC-09 §3.8] DUH: unknown or unsupported ID token.
		return fail(reject(protocols.ReasonToken, ErrToken, "id token %q", f.Token))
	}

	var key Key
	if c.keys != nil {
		if k, ok := c.keys(f.Account); ok {
			key = k
		}
	}
	switch {
	case f.Encrypted && key.IsZero():
		return fail(reject(protocols.ReasonNoKey, ErrNoKey, "no key for account %s", f.Account))
	case !f.Encrypted && !key.IsZero():
		// An account with a key accepts encrypted frames only: a plain
		// frame in its name (a poll included) is what an impostor without
		// the key would send. Sur-Gard receivers report it as
		// "unencrypted when encryption expected"; the frame is well-formed
		// but cannot be processed, which is DUH [DC-09-2013 §5.5.3.3].
		return fail(reject(protocols.ReasonUnencrypted, ErrUnencrypted, "plain %s frame for account %s, which has a key", f.Token, f.Account))
	}
	if err := p.parseBody(key); err != nil {
		return fail(err)
	}
	if f.HasTimestamp {
		m.Timestamp = f.Timestamp
	}

	// [DC-09 §3.9, §3.10] Encrypted frames carry a timestamp within the
	// window: the replay defence of an unauthenticated cipher.
	switch {
	case f.Encrypted && !f.HasTimestamp:
		return fail(reject(protocols.ReasonTimestamp, ErrTimestamp, "encrypted frame without timestamp"))
	case f.HasTimestamp && (f.Encrypted || c.window.ApplyToPlain) && !c.window.inWindow(f.Timestamp, now):
		return fail(reject(protocols.ReasonTimestamp, ErrTimestamp, "timestamp %s is %s from the receiver's clock, window +%s/-%s",
			f.Timestamp.Format(time.DateTime), f.Timestamp.Sub(now.Truncate(time.Second)), c.window.Ahead, c.window.Behind))
	}

	m.Events = events(f)
	if f.Encrypted {
		// [DC-09 §3.10] CBC with a zero IV authenticates nothing: the
		// account inside the encrypted data must be the header's, whose key
		// decrypted it, or one account's key would speak for any other.
		for i := range m.Events {
			if a := m.Events[i].Account; a != "" && !sameAccount(a, f.Account) {
				m.Events = nil
				return fail(reject(protocols.ReasonAccountMismatch, ErrAccountMismatch,
					"encrypted data names account %s, the header %s", a, f.Account))
			}
		}
	}
	m.Deviations = p.devs.slice()
	return m, nil
}

// messageLine is the line a Message reports: the L field as received, or
// "0" for a header without one, which receivers read as line 0.
func messageLine(f *Frame) string {
	if f.NoLine {
		return "0"
	}
	return f.Line
}

// sameAccount compares accounts as panels write them: case and leading
// zeros aside ("001234" in the header, "1234" in the data).
func sameAccount(a, b string) bool {
	return strings.EqualFold(strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0"))
}

// events decodes the data block of f into events. Each event's Account is
// the account in the data, else the header account [DC-09 §3.4, §3.13].
func events(f *Frame) []protocols.Event {
	if len(f.Data) == 0 {
		return nil
	}
	var evs []protocols.Event
	var format string
	var err error
	switch f.Token {
	case TokenSIA:
		format = protocols.FormatSIA
		_, evs, err = sia.ParsePayload(f.Data)
	case TokenCID:
		format = protocols.FormatContactID
		var ev protocols.Event
		_, ev, err = contactid.ParsePayload(f.Data)
		if err == nil {
			evs = []protocols.Event{ev}
		}
	default: // NULL: a link test carries no events [DC-09 §3.12]
		return nil
	}
	if err != nil || len(evs) == 0 {
		// Keep what the panel sent as an unknown event: the frame is
		// acknowledged and an operator sees the raw data.
		return []protocols.Event{{Format: format, Account: f.Account, Text: string(f.Data)}}
	}
	for i := range evs {
		if evs[i].Account == "" {
			evs[i].Account = f.Account
		}
	}
	// [DC-09 §3.7, xdata V] Verification: the URL of audio or video of
	// the event, the panel's media link, kept as each event's clip.
	for _, x := range f.XData {
		if v := string(x.Value); x.ID == 'V' && (strings.HasPrefix(v, "https://") || strings.HasPrefix(v, "http://")) {
			for i := range evs {
				evs[i].Modifiers = append(evs[i].Modifiers, protocols.Modifier{Name: "media_clip", Value: v})
			}
		}
	}
	return evs
}
