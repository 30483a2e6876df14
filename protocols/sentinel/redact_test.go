package sentinel

import (
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
)

var timeZero time.Time

func TestRedact(t *testing.T) {
	c := New(Options{})
	for _, tc := range []struct{ in, want string }{
		{"Account=1234|Event=E130\r", "Account=1234|Event=E130\r"},
		{"Account=1234|Passkey=hunter2|Event=E130\r", "Account=1234|Passkey=[redacted]|Event=E130\r"},
		{"Account=1234|Event=E130| pass_word =a=b\r\nToken=x", "Account=1234|Event=E130| pass_word =[redacted]\r\nToken=[redacted]"},
		{"garbage|API-Key=k|oops", "garbage|API-Key=[redacted]|oops"},
		{"<Signal><Passkey>hunter2</Passkey></Signal>", Redacted},
		{"<Signal><Account>1</Account></Signal>", "<Signal><Account>1</Account></Signal>"},
	} {
		if got := string(c.Redact([]byte(tc.in))); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestDecodeTooLong(t *testing.T) {
	c := New(Options{MaxFrameBytes: 16})
	m, err := c.Decode([]byte("Account=1234|Event=E130"), timeZero)
	if err == nil || m == nil || m.Kind != KindRejected {
		t.Fatalf("%+v %v", m, err)
	}
	if got := string(c.Reply(m, err, timeZero)); got != nak {
		t.Fatalf("reply %q", got)
	}
}

func TestReplyOutcomes(t *testing.T) {
	c := New(Options{})
	for _, tc := range []struct {
		reason protocols.Reason
		want   string
	}{
		{protocols.ReasonStore, nak}, {protocols.ReasonShutdown, nak},
		{protocols.ReasonUnknownAccount, ack}, {protocols.ReasonSyntax, nak},
	} {
		if got := string(c.Reply(nil, protocols.Reject(Name, tc.reason, ErrSyntax), timeZero)); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.reason, got, tc.want)
		}
	}
	if got := string(c.Reply(nil, nil, timeZero)); got != ack {
		t.Errorf("nil outcome: %q", got)
	}
}

func TestRebuildDetail(t *testing.T) {
	c := New(Options{})
	b, ok := c.RebuildDetail([]byte("Account=1234|Event=E130"))
	if !ok || string(b) != `{"form":"fields","account_key":"Account","pairs":[{"key":"Account","value":"1234"},{"key":"Event","value":"E130"}]}` {
		t.Fatalf("%s %v", b, ok)
	}
}
