package output

import (
	"errors"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/dc09"
)

// TestDC09Replies: an encrypted frame is settled by an encrypted *ACK
// only; a NAK is answered by sending again on the receiver's clock; the
// NULL poll carries the output's account.
func TestDC09Replies(t *testing.T) {
	key, err := dc09.ParseKey("000102030405060708090A0B0C0D0E0F", "hex")
	if err != nil {
		t.Fatal(err)
	}
	ours := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	d := NewDC09(key, "", "0", "1234", func() time.Time { return ours })
	reply := func(f *dc09.Frame, k dc09.Key) []byte {
		b, err := dc09.Encode(f, k, nil)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	plainACK := reply(&dc09.Frame{Token: dc09.TokenACK, Sequence: "0007", Line: "0", Account: "9876"}, dc09.Key{})
	if _, err := d.ParseReply(plainACK); err == nil {
		t.Fatal("a plain ACK settled an encrypted frame")
	}
	starACK := reply(&dc09.Frame{Token: dc09.TokenACK, Encrypted: true, Sequence: "0007", Line: "0", Account: "9876",
		HasTimestamp: true, Timestamp: ours}, key)
	if r, err := d.ParseReply(starACK); err != nil || !r.OK || r.Seq != "0007" {
		t.Fatalf("*ACK: %+v, %v", r, err)
	}
	theirs := ours.Add(90 * time.Second)
	nak := reply(&dc09.Frame{Token: dc09.TokenNAK, Sequence: "0000", Receiver: "0", HasReceiver: true, Line: "0", Account: "0",
		HasTimestamp: true, Timestamp: theirs}, dc09.Key{})
	if r, err := d.ParseReply(nak); err != nil || r.OK || !r.Retry {
		t.Fatalf("NAK: %+v, %v", r, err)
	}
	msg, err := d.EncodeSignal("7", "9876", protocols.Event{Format: protocols.FormatContactID, Code: "130",
		Qualifier: protocols.QualifierNew, Partition: "01", Zone: "001"}, ours)
	if err != nil {
		t.Fatal(err)
	}
	f, err := dc09.Parse(msg, key)
	if err != nil || !f.Timestamp.Equal(theirs) {
		t.Fatalf("the resend's time %v (%v), want the receiver's %v", f.Timestamp, err, theirs)
	}
	poll, err := dc09.Parse(d.EncodeHeartbeat("1", ours), key)
	if err != nil || poll.Token != dc09.TokenNull || poll.Account != "1234" {
		t.Fatalf("NULL poll %+v, %v", poll, err)
	}
	if _, err := d.EncodeSignal("8", "NOTHEX", protocols.Event{Format: protocols.FormatSIA, Code: "BA"}, ours); !errors.Is(err, ErrNotEncodable) {
		t.Fatalf("a non-hex account: %v, want ErrNotEncodable", err)
	}
}
