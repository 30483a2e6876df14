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
