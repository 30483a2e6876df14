package output

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/contactid"
	"github.com/alarmrx/alarmrx/protocols/dc09"
	"github.com/alarmrx/alarmrx/protocols/sia"
	"github.com/alarmrx/alarmrx/store"
)

// ErrNotEncodable: the dialect has no message for the signal as it is.
var ErrNotEncodable = errors.New("output: the dialect cannot carry the signal")

// DC09 sends signals as a DC-09 transmitter would [DC-09 §3], to another
// receiver: a backup station, a wholesale partner, a second alarmrx. A
// Contact ID event goes as ADM-CID, a SIA event as SIA-DCS with its DC-03
// modifiers and the original receive time (ti/da) when it had none of its
// own; the first media link travels in the extended data block V. With a
// key, frames are encrypted (*SIA-DCS, *ADM-CID) and the *ACK decrypted.
// The heartbeat is a NULL frame: the poll a panel sends on its path.
type DC09 struct {
	Key      dc09.Key // zero: plain frames
	Receiver string   // R, hex digits; "" leaves R out
	Line     string   // L, hex digits; "" is L0
	// Account is the account of the NULL polls: a receiver that keys its
	// accounts answers a poll of one it does not know with a NAK or DUH.
	Account string
	// Now is the transmitter's clock: a frame carries the time it is sent
	// [DC-09 §3.9], which the receiver checks against its window, so a
	// message sent again gets the time of its new send.
	Now   func() time.Time
	split *dc09.Codec
	// skew is the receiver's clock less ours, from its last NAK: a NAK
	// carries the receiver's time so that the transmitter can set its own
	// [DC-09 §3.8], and the next frame's time is ours plus it.
	skew time.Duration
}

// NewDC09 returns the DC-09 dialect of a forwarding output; account ""
// polls as 0000.
func NewDC09(key dc09.Key, receiver, line, account string, now func() time.Time) *DC09 {
	if now == nil {
		now = time.Now
	}
	if line == "" {
		line = "0"
	}
	if account == "" {
		account = "0000"
	}
	return &DC09{Key: key, Receiver: receiver, Line: line, Account: account, Now: now, split: dc09.New(dc09.Options{})}
}

// dc09Sequence maps an output's decimal sequence onto DC-09's 0001–9999
// [DC-09 §3.5]: a message sent again keeps its number.
func dc09Sequence(seq string) string {
	n, err := strconv.ParseUint(seq, 10, 64)
	if err != nil || n == 0 {
		n = 1
	}
	return fmt.Sprintf("%04d", (n-1)%9999+1)
}

func (d *DC09) frame(token, seq, account string) *dc09.Frame {
	return &dc09.Frame{Token: token, Sequence: dc09Sequence(seq), Receiver: d.Receiver, HasReceiver: d.Receiver != "",
		Line: d.Line, Account: account, Encrypted: !d.Key.IsZero(), HasTimestamp: true, Timestamp: d.Now().Add(d.skew).UTC()}
}

// EncodeSignal renders one signal as an ADM-CID or SIA-DCS frame.
func (d *DC09) EncodeSignal(seq, account string, ev protocols.Event, at time.Time) ([]byte, error) {
	var token, data string
	switch ev.Format {
	case protocols.FormatContactID:
		token, data = dc09.TokenCID, contactid.FormatPayload(account, ev)
	case protocols.FormatSIA:
		token, data = dc09.TokenSIA, sia.FormatPayload(account, []protocols.Event{siaEvent(ev, at)})
	}
	if data == "" {
		return nil, fmt.Errorf("%w: DC-09 takes Contact ID and SIA events of accounts of 3-16 hex digits (account %q, %s %s)",
			ErrNotEncodable, account, ev.Format, ev.Code)
	}
	f := d.frame(token, seq, account)
	f.Data = []byte(data)
	for _, m := range ev.Modifiers {
		if strings.HasPrefix(m.Name, "media_") && m.Value != "" {
			f.XData = append(f.XData, dc09.XData{ID: 'V', Value: []byte(m.Value)})
			break
		}
	}
	b, err := dc09.Encode(f, d.Key, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotEncodable, err)
	}
	return b, nil
}

// siaEvent keeps the DC-03 modifiers of a stored SIA event and gives it the
// receive time (da/ti) when it carries no time of its own, as the Sur-Gard
// output does.
func siaEvent(ev protocols.Event, at time.Time) protocols.Event {
	return recordEvent(store.OutboxItem{Event: ev, ReceivedAt: at})
}

// EchoOf is the sequence a reply to seq echoes: its DC-09 form.
func (d *DC09) EchoOf(seq string) string { return dc09Sequence(seq) }

// EncodeHeartbeat renders a NULL frame [DC-09 §3.6].
func (d *DC09) EncodeHeartbeat(seq string, _ time.Time) []byte {
	b, err := dc09.Encode(d.frame(dc09.TokenNull, seq, d.Account), d.Key, nil)
	if err != nil {
		return nil
	}
	return b
}

// SplitReply frames the receiver's replies as DC-09 frames.
func (d *DC09) SplitReply(data []byte, atEOF bool) (int, []byte, error) {
	return d.split.Split(data, atEOF)
}

// ParseReply reads ACK (*ACK), NAK and DUH [DC-09 §3.8]: an ACK accepts;
// a NAK (a timestamp outside the receiver's window) is answered by sending
// again, with the time of the new send; a DUH (not understood) is a
// refusal sending again cannot mend.
func (d *DC09) ParseReply(frame []byte) (protocols.PeerReply, error) {
	f, err := dc09.Parse(frame, d.Key)
	if err != nil && !d.Key.IsZero() {
		f, err = dc09.Parse(frame, dc09.Key{}) // a NAK or DUH is sent in clear
	}
	if err != nil {
		return protocols.PeerReply{}, err
	}
	r := protocols.PeerReply{Seq: f.Sequence, Text: f.Token}
	switch f.Token {
	case dc09.TokenACK:
		if !d.Key.IsZero() && !f.Encrypted {
			// [DC-09 §3.10] An encrypted frame is acknowledged by an
			// encrypted *ACK; a plain ACK, which anyone on the path can
			// write, settles nothing.
			return r, errors.New("output: a plain ACK to an encrypted frame")
		}
		r.OK = true
	case dc09.TokenNAK:
		r.Seq, r.Retry = "", true // a NAK carries 0000, not the sequence
		if f.HasTimestamp {
			d.skew = f.Timestamp.Sub(d.Now())
		}
	case dc09.TokenDUH:
		if f.Sequence == "0000" {
			r.Seq = "" // a receiver that echoes no sequence in its DUH
		}
	default:
		return r, fmt.Errorf("output: %s is no reply", f.Token)
	}
	return r, nil
}
