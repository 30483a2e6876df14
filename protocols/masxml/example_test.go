package masxml_test

import (
	"fmt"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/masxml"
)

// A receiver frames a TCP stream, decodes each message and answers it; the
// reply echoes the MessageSequenceNo.
func ExampleCodec_Decode() {
	c := masxml.New(masxml.Options{})
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	stream := []byte("<?xml version='1.0' encoding='UTF-8'?>\n<XMLMessageClass>\n" +
		"<MessageType>AJAX</MessageType><SourceID>5</SourceID><MessageSequenceNo>101</MessageSequenceNo>\n" +
		"<KeyValuePair><Key>Account</Key><Value>ABCDEF1234</Value></KeyValuePair>\n" +
		"<KeyValuePair><Key>EventCode</Key><Value>E120</Value></KeyValuePair>\n" +
		"<KeyValuePair><Key>Area</Key><Value>1</Value></KeyValuePair>\n" +
		"<KeyValuePair><Key>URL</Key><Value>https://example.com/e/1</Value></KeyValuePair>\n" +
		"</XMLMessageClass>\r\n" +
		"<XMLMessageClass><MessageType>HEARTBEAT</MessageType><SourceID>5</SourceID>" +
		"<MessageSequenceNo>102</MessageSequenceNo></XMLMessageClass>")
	for len(stream) > 0 {
		adv, frame, err := c.Split(stream, true)
		if err != nil || adv == 0 {
			break
		}
		stream = stream[adv:]
		if frame == nil {
			continue
		}
		m, err := c.Decode(frame, now)
		fmt.Println(m.Kind, m.Sequence, masxml.Sender(m), err)
		for _, ev := range m.Events {
			fmt.Println(ev.Account, ev.Code, ev.Description, "area", ev.Partition, ev.Modifiers)
		}
		fmt.Printf("%s\n", c.Reply(m, err, now))
	}

	// The store failed: the sender is told to send it again.
	fmt.Printf("%s\n", c.Reply(&protocols.Message{Sequence: "103"}, protocols.Reject("receiver", protocols.ReasonStore, nil), now))
	// Output:
	// signals 101 5 <nil>
	// ABCDEF1234 120 Panic area 1 [{media_portal https://example.com/e/1}]
	// <?xml version="1.0" encoding="UTF-8" standalone="yes"?><AckNakClass><MessageSequenceNo>101</MessageSequenceNo><ResultCode>0</ResultCode><ResultText>ok</ResultText></AckNakClass>
	// heartbeat 102 5 <nil>
	// <?xml version="1.0" encoding="UTF-8" standalone="yes"?><AckNakClass><MessageSequenceNo>102</MessageSequenceNo><ResultCode>0</ResultCode><ResultText>ok</ResultText></AckNakClass>
	// <?xml version="1.0" encoding="UTF-8" standalone="yes"?><AckNakClass><MessageSequenceNo>103</MessageSequenceNo><ResultCode>10</ResultCode><ResultText>Not stored, retry</ResultText></AckNakClass>
}

// An output sends a signal, frames the receiver's reply and reads it: OK,
// or whether to send it again.
func ExampleEncodeSignal() {
	at := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	ev := protocols.Event{Format: protocols.FormatContactID, Code: "130", Qualifier: protocols.QualifierRestore,
		Zone: "5", Text: "Hall & stairs",
		Modifiers: []protocols.Modifier{{Name: "media_snapshot", Value: "https://example.com/s.jpg"}}}
	msg, err := masxml.EncodeSignal("17", "1234", ev, at)
	fmt.Printf("%s %v\n", msg, err)

	stream := []byte("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<AckNakClass>\n" +
		"<MessageSequenceNo>17</MessageSequenceNo><ResultCode>10</ResultCode><ResultText>Not stored</ResultText>\n</AckNakClass>\n")
	_, frame, _ := masxml.SplitReply(stream, true)
	r, err := masxml.ParseReply(frame)
	fmt.Printf("%+v %v\n", r, err)
	fmt.Printf("%s\n", masxml.EncodeHeartbeat("18", at))
	// Output:
	// <?xml version="1.0" encoding="UTF-8"?><XMLMessageClass><MessageType>AJAX</MessageType><SourceID>alarmrx</SourceID><MessageSequenceNo>17</MessageSequenceNo><KeyValuePair><Key>Account</Key><Value>1234</Value></KeyValuePair><KeyValuePair><Key>EventCode</Key><Value>R130</Value></KeyValuePair><KeyValuePair><Key>Zone</Key><Value>5</Value></KeyValuePair><KeyValuePair><Key>Text</Key><Value>Hall &amp; stairs</Value></KeyValuePair><KeyValuePair><Key>SnapshotURL</Key><Value>https://example.com/s.jpg</Value></KeyValuePair></XMLMessageClass> <nil>
	// {Seq:17 OK:false Retry:true Text:10 Not stored} <nil>
	// <?xml version="1.0" encoding="UTF-8"?><XMLMessageClass><MessageType>HEARTBEAT</MessageType><SourceID>alarmrx</SourceID><MessageSequenceNo>18</MessageSequenceNo></XMLMessageClass>
}
