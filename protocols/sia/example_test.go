package sia_test

import (
	"fmt"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/sia"
)

func ExampleParsePayload() {
	account, events, err := sia.ParsePayload([]byte("#1234|Nda04-22-94ti16:02:15/id22/CL/PA31"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("account", account)
	for _, ev := range events {
		fmt.Println(ev.Code, ev.Description, ev.Category, "zone", ev.Zone, "user", ev.User, ev.PanelTime.Format("2006-01-02 15:04:05"))
	}
	// Output:
	// account 1234
	// CL Closing Report openclose zone  user 22 1994-04-22 16:02:15
	// PA Panic Alarm holdup zone 31 user 22 1994-04-22 16:02:15
}

func ExampleFormatPayload() {
	ev := protocols.Event{Code: "BA", Partition: "1", AddressKind: protocols.AddressZone, Zone: "012"}
	fmt.Println(sia.FormatPayload("1234", []protocols.Event{ev}))
	// Output: #1234|Nri1/BA012
}

func ExampleLookup() {
	c, _ := sia.Lookup("BH")
	fmt.Println(c.Name, c.Category, c.Address, c.Restore)
	// Output: Burglary Alarm Restore burglary zone true
}

func ExampleDecodeBlock() {
	b, n, err := sia.DecodeBlock([]byte{0x48, 0x4E, 0x72, 0x69, 0x31, 0x2F, 0x42, 0x41, 0x30, 0x31, 0xFE})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%c %s %d bytes\n", b.Function, b.Data, n)
	ack, _ := sia.Block{Function: sia.FunctionAcknowledge, AckRequest: true}.MarshalBinary()
	fmt.Printf("% X\n", ack)
	// Output:
	// N ri1/BA01 11 bytes
	// 40 38 87
}
