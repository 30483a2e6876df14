package xmlsignal_test

import (
	"fmt"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/xmlsignal"
)

// Sending one signal to another alarmrx's native TCP listener, and reading
// its answer.
func Example_send() {
	s := xmlsignal.Sender{Source: "cms-a", Passkey: "secret"}
	at := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	ev := protocols.Event{Format: protocols.FormatContactID, Code: "130", Qualifier: protocols.QualifierRestore, Partition: "01", Zone: "017"}
	msg, err := s.EncodeSignal("7", "ABC1234", ev, at)
	if err != nil {
		panic(err)
	}
	fmt.Println(s)
	fmt.Printf("%s\n", msg[len(`<?xml version="1.0" encoding="UTF-8"?>`)+1:])

	// The receiving side (its TCP listener checks the passkey) and its answer.
	rx := xmlsignal.New(0).WithAuth(func(source, passkey string) bool { return source == "cms-a" && passkey == "secret" })
	m, err := rx.Decode(msg, at)
	answer := rx.Reply(m, err, at)
	_, frame, _ := xmlsignal.SplitReply(answer, false)
	r, _ := xmlsignal.ParseReply(frame)
	fmt.Printf("%+v\n", r)
	// Output:
	// xmlsignal.Sender{Source: "cms-a", Passkey: set}
	// <AlarmMessage xmlns="urn:alarmrx:signal:1" version="1"><Header><MessageId>alarmrx-7</MessageId><Sequence>7</Sequence><Source>cms-a</Source><Passkey>secret</Passkey><SentAt>2026-12-01T12:00:00Z</SentAt></Header><Signal><Account>ABC1234</Account><EventTime>2026-12-01T12:00:00Z</EventTime><Code format="CID">R130</Code><Area>01</Area><Zone>017</Zone></Signal></AlarmMessage>
	// {Seq:7 OK:true Retry:false Text:0 OK}
}
