package manitou_test

import (
	"fmt"
	"time"

	"github.com/alarmrx/alarmrx/protocols/manitou"
)

func Example() {
	c := manitou.New(manitou.Options{})
	frame := []byte("\x02<?xml version=\"1.0\"?><Signal Event=\"BA\" EvType=\"Alarm\" Account=\"1234\"><Area>1</Area><Zone>5</Zone></Signal>\x03")
	m, err := c.Decode(frame, time.Now())
	if err != nil {
		panic(err)
	}
	f := m.Detail.(*manitou.Frame)
	ev := m.Events[0]
	fmt.Println(m.Kind, m.Account, f.Signals[0].AccountPlace)
	fmt.Println(ev.Code, ev.Description, "area", ev.Partition, "zone", ev.Zone)
	fmt.Printf("%q\n", c.Reply(m, nil, time.Now()))
	// Output:
	// signals 1234 signal_attribute:Account
	// BA Burglary Alarm area 1 zone 5
	// "\x02<?xml version=\"1.0\"?><Ack><RawNo>Y0K62ykdKSNq</RawNo></Ack>\x03"
}
