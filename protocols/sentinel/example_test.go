package sentinel_test

import (
	"fmt"
	"time"

	"github.com/alarmrx/alarmrx/protocols/sentinel"
)

// Example frames a read holding a ping and an event line, decodes each
// and prints the reply.
func Example() {
	c := sentinel.New(sentinel.Options{})
	data := []byte("\x06\x14Device ID=ABC1234|Seq=0042|Event=E130|Zone=017|Area=1|MediaUrl=https://media.example.net/017.jpg\r\n")
	for len(data) > 0 {
		adv, frame, err := c.Split(data, true)
		if err != nil || adv == 0 {
			break
		}
		data = data[adv:]
		if frame == nil {
			continue
		}
		m, err := c.Decode(frame, time.Time{})
		reply := c.Reply(m, err, time.Time{})
		fmt.Printf("%s account=%q seq=%q reply=%q\n", m.Kind, m.Account, m.Sequence, reply)
		for _, ev := range m.Events {
			fmt.Printf("  %s%s zone %s area %s: %s (%s)\n", ev.Format, ev.Code, ev.Zone, ev.Partition, ev.Description, ev.Qualifier)
			for _, md := range ev.Modifiers {
				fmt.Printf("  %s %s\n", md.Name, md.Value)
			}
		}
	}
	// Output:
	// heartbeat account="" seq="" reply="\x06"
	// signals account="ABC1234" seq="0042" reply="\x06"
	//   CID130 zone 017 area 1: Burglary (new)
	//   media_snapshot https://media.example.net/017.jpg
}
