package dc09_test

import (
	"fmt"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/dc09"
)

// A receiver decodes a plain frame and answers it. The ACK echoes the
// sequence, line and account.
func ExampleCodec_Decode() {
	c := dc09.New(dc09.Options{})
	now := time.Date(2024, 1, 1, 12, 0, 1, 0, time.UTC)

	frame := []byte("\nED280035\"SIA-DCS\"0001L0#1234[#1234|NBA01]_12:00:00,01-01-2024\r")
	m, err := c.Decode(frame, now)
	if err != nil {
		fmt.Println(err)
	}
	for _, ev := range m.Events {
		fmt.Println(m.Kind, ev.Account, ev.Code, ev.Description, "zone", ev.Zone)
	}
	fmt.Printf("%q\n", c.Reply(m, err, now))

	// A bad CRC is rejected and never answered.
	frame[1] = '0'
	m, err = c.Decode(frame, now)
	fmt.Println(err, protocols.ReasonOf(err))
	fmt.Printf("%q\n", c.Reply(m, err, now))
	// Output:
	// SIA-DCS 1234 BA Burglary Alarm zone 01
	// "\n1BC10012\"ACK\"0001L0#1234[]\r"
	// dc09: crc: computed ED28, header says 0D28 crc
	// ""
}

// An encrypted frame is decrypted with the key of its header account; the
// answer is an encrypted ACK carrying the receiver's time.
func ExampleCodec_Decode_encrypted() {
	key, err := dc09.ParseKey("000102030405060708090A0B0C0D0E0F", "hex")
	if err != nil {
		fmt.Println(err)
		return
	}
	c := dc09.New(dc09.Options{
		Keys: func(account string) (dc09.Key, bool) { return key, account == "1234" },
		Pad:  func(n int) []byte { return []byte("Qw3Er5Ty7UQw3Er5"[:n]) }, // fixed only for the example
	})
	now := time.Date(2024, 1, 1, 12, 0, 1, 0, time.UTC)
	m, err := c.Decode([]byte("\nA6570076\"*SIA-DCS\"0001L0#1234[FD5CAC75CBF7BD3E2C2EA18ADF35E5FC5AD3BC6C5CBFB1E17C6967FAB08CA6ACA4D09C7547DFC1D96803FB19559DB77D\r"), now)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s %q %s\n", m.Kind, m.Detail.(*dc09.Frame).Data, m.Timestamp.Format(time.RFC3339))
	fmt.Printf("%q\n", c.Reply(m, nil, now))

	// 41 s later the same frame is outside the window: NAK with the
	// receiver's time, in clear.
	now = now.Add(40 * time.Second)
	m, err = c.Decode([]byte("\nA6570076\"*SIA-DCS\"0001L0#1234[FD5CAC75CBF7BD3E2C2EA18ADF35E5FC5AD3BC6C5CBFB1E17C6967FAB08CA6ACA4D09C7547DFC1D96803FB19559DB77D\r"), now)
	fmt.Println(protocols.ReasonOf(err))
	fmt.Printf("%q\n", c.Reply(m, err, now))
	// Output:
	// SIA-DCS "#1234|NBA01" 2024-01-01T12:00:00Z
	// "\n5F600052\"*ACK\"0001L0#1234[64E412150CCD67CF7D20585D8ABAE343791522B7F67F4B9E65887CC80733FCD8\r"
	// timestamp
	// "\nA50A0025\"NAK\"0000R0L0A0[]_12:00:41,01-01-2024\r"
}

// A panel simulator builds frames with Encode and checks the reply with
// Parse.
func ExampleEncode() {
	f := &dc09.Frame{
		Token: "ADM-CID", Sequence: "0002", Receiver: "1", Line: "1", Account: "1234",
		Data:      []byte("#1234|1131 01 015"),
		Timestamp: time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC), HasTimestamp: true,
	}
	b, err := dc09.Encode(f, dc09.Key{}, nil) // the zero Key sends it in clear
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%q\n", b)

	reply, err := dc09.Parse([]byte("\nD6730014\"ACK\"0002R1L1#1234[]\r"), dc09.Key{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(reply.Token, reply.Sequence, reply.Receiver, reply.Line, reply.Account)
	// Output:
	// "\n38AF003D\"ADM-CID\"0002R1L1#1234[#1234|1131 01 015]_12:00:00,01-01-2024\r"
	// ACK 0002 1 1 1234
}

// Keys come as hex digits or, as Ajax panels and Home Assistant use them, as
// the ASCII bytes of a string. A Key never prints itself.
func ExampleParseKey() {
	hexKey, _ := dc09.ParseKey("000102030405060708090A0B0C0D0E0F1011121314151617", "hex")
	asciiKey, _ := dc09.ParseKey("AAAAAAAAAAAAAAAA", "ascii")
	fmt.Println(hexKey.Bits(), asciiKey.Bits(), asciiKey)
	_, err := dc09.ParseKey("not a key", "hex")
	fmt.Println(err)
	// Output:
	// 192 128 [redacted]
	// dc09: invalid key: a hex key has 32, 48 or 64 hex digits, this one has 9 characters
}
