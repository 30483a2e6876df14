package microkey_test

import (
	"fmt"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/microkey"
)

// A receiver frames the TCP stream, decodes each package and answers it.
// The ACK echoes the package's Sequence; a count mismatch is a NAK.
func ExampleCodec_Decode() {
	c := microkey.New(microkey.Options{})
	now := time.Date(2025, 5, 29, 17, 7, 49, 0, time.UTC)
	stream := []byte("\n<?xml version=\"1.0\"?><Signals Ver=\"1.0.0\"><SignalCount>1</SignalCount><Sequence>10000</Sequence>" +
		"<Signal><LN>01</LN><ACC>8888</ACC><SI>E130</SI><PZ>102</PZ><A>1</A><DT>2025-05-29</DT><TM>17:07:48</TM></Signal>" +
		"</Signals><Checksum>3F7D</Checksum>\r" +
		"\n<Signals><SignalCount>2</SignalCount><Sequence>10001</Sequence></Signals><Checksum>0000</Checksum>\r")

	for len(stream) > 0 {
		adv, frame, err := c.Split(stream, true)
		if err != nil {
			fmt.Println(err)
			return
		}
		stream = stream[adv:]
		if frame == nil {
			continue
		}
		m, err := c.Decode(frame, now)
		if err != nil {
			fmt.Println(err)
		}
		for _, ev := range m.Events {
			fmt.Println(m.Kind, m.Sequence, ev.Account, ev.Code, ev.Description, "zone", ev.Zone)
		}
		fmt.Printf("%q\n", c.Reply(m, err, now))
	}
	// Output:
	// signals 10000 8888 130 Burglary zone 102
	// "\r<Response><Sequence>10000</Sequence><Status>ACK</Status></Response><Checksum>0000</Checksum>\n"
	// microkey: syntax: SignalCount 2, 0 <Signal> elements
	// "\r<Response><Sequence>10001</Sequence><Status>NAK</Status><Error>Signal count mismatch</Error></Response><Checksum>0000</Checksum>\n"
}

// An output sends a signal as a Micro Key package and reads the
// receiver's answer: an ACK echoing the Sequence, or a NAK, resent unless
// it says the data is invalid.
func ExampleEncodeSignal() {
	ev := protocols.Event{Format: protocols.FormatContactID, Code: "130", Qualifier: protocols.QualifierRestore,
		Zone: "015", Partition: "1", AddressKind: protocols.AddressZone}
	at := time.Date(2025, 5, 29, 17, 7, 48, 0, time.UTC)
	pkg, err := microkey.EncodeSignal("10002", "8888", ev, at)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%q\n", pkg)

	stream := []byte("\r<Response><Sequence>10002</Sequence><Status>ACK</Status></Response><Checksum>4FE9</Checksum>\n" +
		"\r<Response><Sequence>10003</Sequence><Status>NAK</Status><Error>Not stored, resend</Error></Response><Checksum>0000</Checksum>\n" +
		"\r<Response><Sequence>10004</Sequence><Status>NAK</Status><Error>Invalid account</Error></Response><Checksum>0000</Checksum>\n")
	for len(stream) > 0 {
		adv, frame, err := microkey.SplitReply(stream, true)
		if err != nil {
			fmt.Println(err)
			return
		}
		stream = stream[adv:]
		if frame == nil {
			continue
		}
		r, err := microkey.ParseReply(frame)
		fmt.Printf("%+v %v\n", r, err)
	}
	// Output:
	// "\n<?xml version=\"1.0\"?><Signals Ver=\"1.0.0\"><SignalCount>1</SignalCount><Sequence>10002</Sequence><Signal><LN>01</LN><ACC>8888</ACC><SI>R130</SI><PZ>015</PZ><A>1</A><DT>2025-05-29</DT><TM>17:07:48</TM></Signal></Signals><Checksum>0000</Checksum>\r"
	// {Seq:10002 OK:true Retry:false Text:ACK} <nil>
	// {Seq:10003 OK:false Retry:true Text:NAK: Not stored, resend} <nil>
	// {Seq:10004 OK:false Retry:false Text:NAK: Invalid account} <nil>
}
