package xmlsignal

import (
	"bytes"
	"flag"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/internal/golden"
)

var update = flag.Bool("update", false, "rewrite the golden files from the encode case table")

// goldenDir holds one file per encoded example (prefix "encode_"): the
// case Go-quoted, a separator line, then what was sent, what the receiving
// Decode made of it, its reply and how ParseReply reads that reply.
var goldenDir = filepath.Join("..", "..", "testdata", "golden", "xmlsignal")

const encodePrefix = "encode_"

// heartbeatCase stands for EncodeHeartbeat in the golden files.
var heartbeatCase = encodeCase{name: "heartbeat", seq: "42"}

func TestGolden(t *testing.T) {
	gc := make([]golden.Case, 0, len(encodeCases)+1)
	for _, tc := range append([]encodeCase{heartbeatCase}, encodeCases...) {
		gc = append(gc, golden.Case{File: encodePrefix + tc.name, Input: encodeInput(t, tc)})
	}
	golden.Run(t, goldenDir, *update, gc, renderEncode)
}

// encodeView is an encode case's input as its golden file shows it; the
// Sender shows whether a passkey is set, never the passkey.
type encodeView struct {
	Sender  Sender
	Seq     string
	Account string        `json:",omitempty"`
	Event   *golden.Event `json:",omitempty"`
}

func encodeInput(t *testing.T, tc encodeCase) string {
	t.Helper()
	v := encodeView{Sender: tc.sender_(), Seq: tc.seq, Account: tc.account}
	if tc.name != heartbeatCase.name {
		ev := golden.ViewEvent(tc.ev)
		v.Event = &ev
	}
	return golden.JSON(t, v)
}

func renderEncode(t *testing.T, name, input string) string {
	t.Helper()
	tc, ok := heartbeatCase, name == encodePrefix+heartbeatCase.name
	for _, e := range encodeCases {
		if encodePrefix+e.name == name {
			tc, ok = e, true
		}
	}
	if !ok {
		t.Fatalf("golden file %s has no encode case in the table (go test -update removes it)", name)
	}
	if input != encodeInput(t, tc) {
		t.Fatalf("golden file %s holds %q, the case %q", name, input, encodeInput(t, tc))
	}
	s := tc.sender_()
	var enc []byte
	var err error
	if tc.name == heartbeatCase.name {
		enc = s.EncodeHeartbeat(tc.seq, encodeAt)
	} else {
		enc, err = s.EncodeSignal(tc.seq, tc.account, tc.ev, encodeAt)
	}
	var b bytes.Buffer
	if err != nil {
		b.WriteString("encode error: " + err.Error() + "\n")
		return b.String()
	}
	b.WriteString("sent: " + strconv.Quote(string(enc)) + "\n")
	c := receiverFor(s)
	m, derr := c.Decode(enc, encodeAt)
	if derr != nil {
		b.WriteString("decode error: " + derr.Error() + "\n")
	}
	b.WriteString(golden.JSON(t, viewMessage(m)))
	reply := c.Reply(m, derr, encodeAt)
	b.WriteString("reply: " + strconv.Quote(string(reply)) + "\n")
	r, perr := ParseReply(reply)
	if perr != nil {
		b.WriteString("parse reply error: " + perr.Error() + "\n")
	}
	b.WriteString("parsed reply: " + golden.JSON(t, r))
	return b.String()
}

// messageView is protocols.Message with its enumerations by name.
type messageView struct {
	Protocol  string
	Kind      string
	Account   string
	Sequence  string
	Timestamp string `json:",omitempty"`
	Events    []golden.Event
	Detail    any
}

func viewMessage(m *protocols.Message) messageView {
	v := messageView{Protocol: m.Protocol, Kind: m.Kind, Account: m.Account, Sequence: m.Sequence,
		Events: golden.ViewEvents(m.Events), Detail: m.Detail}
	if !m.Timestamp.IsZero() {
		v.Timestamp = m.Timestamp.Format(time.RFC3339Nano)
	}
	return v
}
