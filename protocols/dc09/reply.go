package dc09

import (
	"time"

	"github.com/alarmrx/alarmrx/protocols"
)

// Reply tokens [DC-09 §3.8]. The receiver sends no RSP (see the package
// documentation).
const (
	TokenACK = "ACK"
	TokenNAK = "NAK"
	TokenDUH = "DUH"
)

// Reply encodes the receiver's answer to m for outcome, the exact bytes to
// send, or nil for silence [DC-09 §3.8]. now is the receiver's clock; only
// its UTC second is sent.
//
//   - nil outcome: ACK echoing sequence, R, L and account with an empty data
//     block. A field the request left out (R, or the L some senders omit)
//     is left out of the echo too: the reply has the header the sender
//     wrote [DC-09 §3.4]. A plain request gets a plain ACK without
//     timestamp; an encrypted one gets *ACK encrypted with the key that
//     decrypted it, whose plaintext is pad|]_<now> [DC-09 §3.10].
//   - ReasonTimestamp, ReasonNoKey, ReasonDecrypt, ReasonAccountMismatch,
//     ReasonStore, ReasonUnknownAccount, ReasonShutdown, and any error that is no
//     FrameError: NAK, "NAK"0000R0L0A0[]_<now>, never encrypted, carrying
//     the receiver's time so the panel can resynchronise and retry.
//   - ReasonToken, ReasonUnencrypted, and ReasonSyntax when Decode returned
//     a Message: DUH in clear, echoing sequence, R, L and account as the
//     ACK does: the frame was read but cannot be processed
//     [DC-09-2013 §5.5.3.3]. A DUH or a NAK that
//     reaches the receiver is not answered: two receivers would trade
//     negative replies for ever, and a NAK's "A0" account cannot be echoed.
//   - ReasonCRC, ReasonTooLong, ReasonGarbage, and ReasonSyntax without a
//     Message: nothing. A frame that is not known to be intact is not
//     answered [DC-09 test plan C.2.3.5]; replying to noise could amplify
//     it.
//
// A request that used the binary CRC gets its reply in that form
// [DC-09 §3.13]. Every reply carries a correct CRC and length.
func (c *Codec) Reply(m *protocols.Message, outcome error, now time.Time) []byte {
	req := requestFrame(m)
	if outcome == nil {
		if req == nil {
			return nil
		}
		return c.ack(req, now)
	}
	switch protocols.ReasonOf(outcome) {
	case protocols.ReasonCRC, protocols.ReasonTooLong, protocols.ReasonGarbage:
		return nil
	case protocols.ReasonToken, protocols.ReasonSyntax, protocols.ReasonUnencrypted:
		if req == nil || (!req.Encrypted && (req.Token == TokenDUH || req.Token == TokenNAK)) {
			return nil
		}
		return c.echo(TokenDUH, req)
	}
	return c.nak(req, now)
}

// requestFrame returns the frame m was decoded from: m.Detail, or for a
// Message built elsewhere a Frame made of its fields (which has no key).
func requestFrame(m *protocols.Message) *Frame {
	if m == nil {
		return nil
	}
	if f, ok := m.Detail.(*Frame); ok && f != nil {
		return f
	}
	return &Frame{
		Token: m.Kind, Encrypted: m.Encrypted, Sequence: m.Sequence,
		Receiver: m.Receiver, HasReceiver: m.Receiver != "", Line: m.Line, Account: m.Account,
	}
}

// ack encodes the ACK, or *ACK, for req [DC-09 §3.8, §3.10].
func (c *Codec) ack(req *Frame, now time.Time) []byte {
	f := Frame{
		Token: TokenACK, Sequence: req.Sequence, Receiver: req.Receiver, HasReceiver: req.HasReceiver,
		Line: req.Line, NoLine: req.NoLine, Account: req.Account, accountMark: req.accountMark, BinaryCRC: req.BinaryCRC,
	}
	var key Key
	if req.Encrypted {
		key = req.key
		if key.IsZero() {
			// No key to encrypt with: a plain ACK would be refused by the
			// panel, and an unencrypted one would not be an ACK at all.
			return nil
		}
		// [DC-09 §3.10] Timestamp and padding are required in *ACK.
		f.Encrypted, f.HasTimestamp, f.Timestamp = true, true, now
	}
	return c.encodeReply(&f, key)
}

// echo encodes a reply of token in clear that echoes req's header [DC-09
// §3.8].
func (c *Codec) echo(token string, req *Frame) []byte {
	f := Frame{
		Token: token, Sequence: req.Sequence, Receiver: req.Receiver, HasReceiver: req.HasReceiver,
		Line: req.Line, NoLine: req.NoLine, Account: req.Account, accountMark: req.accountMark, BinaryCRC: req.BinaryCRC,
	}
	return c.encodeReply(&f, Key{})
}

// nak encodes "NAK"0000R0L0A0[]_<now>, never encrypted [DC-09 §3.8, §3.9].
func (c *Codec) nak(req *Frame, now time.Time) []byte {
	f := Frame{
		Token: TokenNAK, Sequence: "0000", Receiver: "0", HasReceiver: true, Line: "0",
		Account: "0", accountMark: nakMark, HasTimestamp: true, Timestamp: now,
		BinaryCRC: req != nil && req.BinaryCRC,
	}
	return c.encodeReply(&f, Key{})
}

// encodeReply encodes f; a reply that cannot be encoded (a hand-built
// Message with fields outside the grammar) becomes silence.
func (c *Codec) encodeReply(f *Frame, key Key) []byte {
	b, err := encode(f, key, c.pad, true)
	if err != nil {
		return nil
	}
	return b
}
