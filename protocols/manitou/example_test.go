package manitou_test

import (
	"fmt"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
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

// ExampleEncodeSignal sends a stored event in Manitou XML and reads the
// receiver's Ack.
func ExampleEncodeSignal() {
	ev := protocols.Event{Format: protocols.FormatContactID, Code: "130", Qualifier: protocols.QualifierNew,
		Partition: "01", Zone: "017", Text: "Hall & stairs",
		Modifiers: []protocols.Modifier{{Name: "media_clip", Value: "https://v.example.com/c.mp4"}}}
	b, err := manitou.EncodeSignal("17", "1234", ev, time.Now())
	if err != nil {
		panic(err)
	}
	fmt.Printf("%q\n", b)
	reply, _ := manitou.ParseReply([]byte("\x02<?xml version=\"1.0\"?><Ack><RawNo>ER9ReRiXVWRl</RawNo></Ack>\x03"))
	fmt.Printf("%+v\n", reply)
	reply, _ = manitou.ParseReply([]byte("\x02<?xml version=\"1.0\"?><Nak Index=\"0\" Code=\"30\"/>\x03"))
	fmt.Printf("%+v\n", reply)
	// Output:
	// "\x02<?xml version=\"1.0\"?><Signal Event=\"E130\" Account=\"1234\" Seq=\"17\"><Area>01</Area><AreaInfo>Hall &amp; stairs</AreaInfo><Zone>017</Zone><URL Type=\"clip\">https://v.example.com/c.mp4</URL></Signal>\x03"
	// {Seq: OK:true Retry:false Text:ER9ReRiXVWRl}
	// {Seq: OK:false Retry:true Text:Nak Code=30 Index=0: not stored}
}
