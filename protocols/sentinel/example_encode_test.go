package sentinel_test

import (
	"fmt"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/alarmcode"
	"github.com/alarmrx/alarmrx/protocols/sentinel"
)

// ExampleEncodeSignal sends a burglary with a snapshot link as a Sentinel
// line, then reads the receiver's one-byte answers.
func ExampleEncodeSignal() {
	ev, _ := alarmcode.Event(alarmcode.Fields{Account: "1234", Code: "130", Zone: "017", Area: "1", Text: "Hall | PIR"})
	ev.Modifiers = []protocols.Modifier{{Name: "media_snapshot", Value: "https://media.example.net/017.jpg"}}
	line, err := sentinel.EncodeSignal("42", "1234", ev, time.Now())
	fmt.Printf("%q %v\n", line, err)
	fmt.Printf("%q\n", sentinel.EncodeHeartbeat("", time.Now()))
	replies := []byte("\x06\r\n\x15")
	for len(replies) > 0 {
		adv, frame, _ := sentinel.SplitReply(replies, true)
		replies = replies[adv:]
		if frame != nil {
			r, err := sentinel.ParseReply(frame)
			fmt.Printf("%s ok=%v retry=%v %v\n", r.Text, r.OK, r.Retry, err)
		}
	}
	// Output:
	// "Account=1234|Seq=42|Event=E130|Zone=017|Area=1|Text=Hall / PIR|MediaUrl=https://media.example.net/017.jpg\r\n" <nil>
	// "\x06\x14"
	// ACK ok=true retry=false <nil>
	// NAK ok=false retry=true <nil>
}
