package contactid_test

import (
	"errors"
	"fmt"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/contactid"
)

func ExampleParse() {
	m, err := contactid.Parse([]byte("1234181131010158"))
	if err != nil {
		fmt.Println(err)
		return
	}
	ev := m.Event()
	fmt.Println(ev.Account, ev.Qualifier, ev.Code, ev.Description, "group", ev.Partition, "zone", ev.Zone, ev.Category)

	_, err = contactid.Parse([]byte("1234181131010159"))
	fmt.Println(errors.Is(err, contactid.ErrChecksum), protocols.ReasonOf(err))
	// Output:
	// 1234 new 131 Perimeter group 01 zone 015 burglary
	// true checksum
}

func ExampleParsePayload() {
	account, ev, err := contactid.ParsePayload([]byte("#4F39|3401 01 057"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(account, ev.Qualifier, ev.Code, ev.Description, "user", ev.User)
	// Output: 4F39 restore 401 O/C by user user 057
}

func ExampleChecksum() {
	s, _ := contactid.Checksum([]byte("1234 18 3137 01 015"))
	fmt.Printf("%c\n", s)
	// Output: F
}

func ExampleEncode() {
	ev := protocols.Event{Code: "602", Qualifier: protocols.QualifierNew}
	msg, _ := contactid.Encode("1234", ev)
	fmt.Println(msg)
	fmt.Println(contactid.FormatPayload("1234", ev))
	// Output:
	// 1234181602000002
	// #1234|1602 00 000
}

func ExampleLookup() {
	c, _ := contactid.Lookup("121")
	fmt.Println(c.Name, c.Category, c.Address, c.SIANew, c.SIARestore)
	// Output: Duress holdup user HA HH
}
