package sos_test

import (
	"fmt"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/sos"
)

// A receiver frames the stream, decodes the alarm and answers it with the
// status and its own time; a restore of the same code is a restore event.
func ExampleCodec_Decode() {
	c := sos.New(sos.Options{
		Auth: func(receiver, transmittercode, password string) bool {
			return transmittercode == "1234567" && password == "hxp4x9nnwxjatv8" // a real check compares in constant time
		},
	})
	now := time.Date(2006, 12, 24, 15, 0, 0, 0, time.UTC)
	stream := []byte(`<?xml version="1.0" encoding="ISO-8859-1"?>
<alarmrequest>
  <authentication>hxp4x9nnwxjatv8</authentication>
  <reference>13843</reference>
  <receiver>42</receiver>
  <transmittertype>SV300</transmittertype>
  <transmittercode>1234567</transmittercode>
  <alarmtype>RE</alarmtype>
  <eventcode>FA</eventcode>
</alarmrequest>` + "\r\n")
	_, frame, _ := c.Split(stream, false)
	m, err := c.Decode(frame, now)
	if err != nil {
		fmt.Println(err)
	}
	ev := m.Events[0]
	fmt.Println(m.Kind, m.Sequence, m.Account, sos.Sender(m), ev.Code, ev.Description, ev.Qualifier)
	fmt.Println(string(c.Reply(m, err, now)))

	// The receiver could not store it: the sender uses its failover.
	fmt.Println(string(c.Reply(m, protocols.Reject(sos.Name, protocols.ReasonStore, nil), now)))
	// Output:
	// signals 13843 1234567 42 FA Fire Alarm restore
	// <?xml version="1.0" encoding="ISO-8859-1"?><alarmresponse><reference>13843</reference><status>0</status><info>OK</info><arrivaltime>2006-12-24 15:00:00.000</arrivaltime></alarmresponse>
	// <?xml version="1.0" encoding="ISO-8859-1"?><alarmresponse><reference>13843</reference><status>5</status><info>NOT_TREATED_NOT_DISTRIBUTED</info><arrivaltime>2006-12-24 15:00:00.000</arrivaltime></alarmresponse>
}

// A ping is a heartbeat, answered with a pingresponse.
func ExampleAnswer() {
	c := sos.New(sos.Options{})
	now := time.Date(2005, 2, 28, 11, 35, 42, 12_000_000, time.UTC)
	m, err := c.Decode([]byte(`<?xml version="1.0" encoding="iso-8859-1"?>
<pingrequest>
    <authentication>hxp4x9nnwxjatv8</authentication>
    <reference>734632</reference>
    <transmittercode>208013</transmittercode>
    <transmittertype>SV300</transmittertype>
</pingrequest>`), now)
	fmt.Println(m.Kind, err)
	fmt.Println(string(c.Reply(m, err, now)))
	// Pinging too often is the receiver's call.
	fmt.Println(string(sos.Answer(m, sos.StatusPingTooOften, now)))
	// Output:
	// heartbeat <nil>
	// <?xml version="1.0" encoding="ISO-8859-1"?><pingresponse><reference>734632</reference><status>0</status><info>OK</info><arrivaltime>2005-02-28 11:35:42.012</arrivaltime></pingresponse>
	// <?xml version="1.0" encoding="ISO-8859-1"?><pingresponse><reference>734632</reference><status>101</status><info>PING_TO_OFTEN</info><arrivaltime>2005-02-28 11:35:42.012</arrivaltime></pingresponse>
}

// An output sends a restore as an alarm transmitter and reads the
// receiver's answer.
func ExampleTransmitter_EncodeSignal() {
	tx := sos.Transmitter{Authentication: "hxp4x9nnwxjatv8", Receiver: "42", TransmitterType: "SV300", TransmitterCode: "1234567"}
	if err := tx.Validate(); err != nil {
		panic(err)
	}
	ev := protocols.Event{Format: protocols.FormatSIA, Code: "FA", Qualifier: protocols.QualifierRestore, Zone: "3"}
	msg, err := tx.EncodeSignal("13843", "1234567", ev, time.Date(2026, 12, 1, 15, 4, 0, 0, time.UTC))
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s", msg)
	answer := []byte(`<?xml version="1.0" encoding="ISO-8859-1"?><alarmresponse><reference>13843</reference><status>10</status><info>DUPLICATED_ALARM</info><arrivaltime>2026-12-01 15:04:01.000</arrivaltime></alarmresponse>`)
	_, frame, _ := sos.SplitReply(answer, true)
	pr, _ := sos.ParseReply(frame)
	fmt.Printf("%+v\n", pr)
	// Output:
	// <?xml version="1.0" encoding="ISO-8859-1"?>
	// <alarmrequest>
	//   <authentication>hxp4x9nnwxjatv8</authentication>
	//   <reference>13843</reference>
	//   <receiver>42</receiver>
	//   <transmittertime>2026-12-01 15:04:00.000</transmittertime>
	//   <alarmtype>RE</alarmtype>
	//   <transmittertype>SV300</transmittertype>
	//   <transmittercode>1234567</transmittercode>
	//   <eventcode>FA</eventcode>
	//   <detector>3</detector>
	// </alarmrequest>
	// {Seq:13843 OK:true Retry:false Text:10 DUPLICATED_ALARM}
}
