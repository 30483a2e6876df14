package sia

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/internal/casetest"
)

func TestParsePayload(t *testing.T) {
	for _, tc := range payloadCases {
		t.Run(tc.name, func(t *testing.T) {
			account, events, err := ParsePayload([]byte(tc.input))
			if !casetest.CheckError(t, "sia", err, tc.wantErr, tc.wantReason) {
				return
			}
			if account != tc.wantAccount {
				t.Errorf("ParsePayload(%q) account %q, want %q", tc.input, account, tc.wantAccount)
			}
			if len(events) != len(tc.want) {
				t.Fatalf("ParsePayload(%q) gave %d events, want %d: %+v", tc.input, len(events), len(tc.want), events)
			}
			for i := range events {
				if !reflect.DeepEqual(events[i], tc.want[i]) {
					t.Errorf("ParsePayload(%q) event %d\n got %+v\nwant %+v", tc.input, i, events[i], tc.want[i])
				}
			}
		})
	}
}

func TestErrorText(t *testing.T) {
	_, _, err := ParsePayload([]byte("#1234|Nri1/BA01x"))
	if got, want := err.Error(), "sia: syntax: unexpected 'x' at offset 15"; got != want {
		t.Errorf("error %q, want %q", got, want)
	}
}

// TestModifiersNotShared checks that each event owns its modifier list.
func TestModifiersNotShared(t *testing.T) {
	_, events, err := ParsePayload([]byte("#1234|Nri1/BA01/id2/BA02"))
	if err != nil {
		t.Fatal(err)
	}
	events[0].Modifiers = append(events[0].Modifiers, protocols.Modifier{Name: "zz", Value: "9"})
	if got := events[1].Modifiers; !reflect.DeepEqual(got, mods("ri", "1", "id", "2")) {
		t.Errorf("appending to event 0 changed event 1: %+v", got)
	}
}

func TestFormatPayload(t *testing.T) {
	stamp := time.Date(1994, time.April, 22, 18, 2, 15, 0, time.FixedZone("UTC+2", 2*3600))
	for _, tc := range []struct {
		name    string
		account string
		events  []protocols.Event
		want    string
	}{
		{"canonical", "1234", casesEvents("canonical"), "#1234|Nri1/BA012"},
		{"sur_gard", "1234", casesEvents("surgard_time_user_two_events"), "#1234|Nda04-22-94/ti16:02:15/id22/CL/PA31"},
		{"shared_block", "1234", casesEvents("comma_for_slash"), "#1234|Nri1/BA012/BA013"},
		{"new_block_when_modifiers_drop", "1234", casesEvents("two_blocks"), "#1234|Nri1/BA01|NBA02"},
		{"replaced_modifier", "1234", casesEvents("modifier_replaced"), "#1234|Nri1/BA01/ri2/BH01"},
		{"text", "7878", casesEvents("jablotron_text"), "#7878|Nri01/LX901^TOTAL centrale d'alarme JA-106K(R)^"},
		{"no_account", "", casesEvents("no_account"), "Nri1/WA000"},
		{"no_events", "1234", nil, "#1234"},
		{"nothing", "", nil, ""},
		{
			"from_contact_id", "1234",
			[]protocols.Event{{Code: "BA", Partition: "01", AddressKind: protocols.AddressZone, Zone: "015"}},
			"#1234|Nri01/BA015",
		},
		{
			"user_address", "1234",
			[]protocols.Event{{Code: "CL", Partition: "1", AddressKind: protocols.AddressUser, User: "3"}},
			"#1234|Nri1/CL3",
		},
		{
			"user_by_id", "1234",
			[]protocols.Event{{Code: "PA", AddressKind: protocols.AddressZone, Zone: "31", User: "22"}},
			"#1234|Nid22/PA31",
		},
		{
			"area_address", "1234",
			[]protocols.Event{{Code: "NL", Partition: "2", AddressKind: protocols.AddressArea, Address: "2"}},
			"#1234|NNL2",
		},
		{
			"panel_time_in_utc", "1234",
			[]protocols.Event{{Code: "BA", Address: "1", PanelTime: stamp}},
			"#1234|Nti16:02:15/da04-22-94/BA1",
		},
		{
			"unsafe_text", "1234",
			[]protocols.Event{{Code: "BA", Address: "1", Text: "a^b|c[d]e\r"}},
			"#1234|NBA1^a b c d e ^",
		},
		{"lower_case_code", "1234", []protocols.Event{{Code: "ba"}}, ""},
		{"contact_id_code", "1234", []protocols.Event{{Code: "130"}}, ""},
		{"hex_address", "1234", []protocols.Event{{Code: "BA", Address: "1A"}}, ""},
		{"account_not_hex", "12G4", []protocols.Event{{Code: "BA"}}, ""},
		{"account_too_long", "12345678901234567", []protocols.Event{{Code: "BA"}}, ""},
		{"modifier_name", "1234", []protocols.Event{{Code: "BA", Modifiers: mods("RI", "1")}}, ""},
		{"modifier_value", "1234", []protocols.Event{{Code: "BA", Modifiers: mods("ri", "1/2")}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := FormatPayload(tc.account, tc.events); got != tc.want {
				t.Errorf("FormatPayload = %q, want %q", got, tc.want)
			}
		})
	}
}

func casesEvents(name string) []protocols.Event {
	for _, tc := range payloadCases {
		if tc.name == name {
			return tc.want
		}
	}
	panic("no case " + name)
}

// TestFormatRoundTrip formats every decoded case, decodes it again and
// expects the same events, and formatting them again to change nothing.
func TestFormatRoundTrip(t *testing.T) {
	for _, tc := range payloadCases {
		if tc.wantErr != nil {
			continue
		}
		formatted := FormatPayload(tc.wantAccount, tc.want)
		account, events, err := ParsePayload([]byte(formatted))
		if err != nil || account != tc.wantAccount || !reflect.DeepEqual(events, tc.want) && len(tc.want) > 0 {
			t.Errorf("%s: ParsePayload(%q) = %q, %+v, %v\nwant %+v", tc.name, formatted, account, events, err, tc.want)
		}
		if again := FormatPayload(account, events); again != formatted {
			t.Errorf("%s: FormatPayload not stable: %q then %q", tc.name, formatted, again)
		}
	}
}

func TestBlock(t *testing.T) {
	for _, tc := range blockCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.block.MarshalBinary()
			if err != nil || !bytes.Equal(got, tc.bytes) {
				t.Errorf("MarshalBinary = % X, %v; want % X", got, err, tc.bytes)
			}
			stream := append(append([]byte{}, tc.bytes...), 0x40, 0x30) // the start of a next block
			b, n, err := DecodeBlock(stream)
			if err != nil || n != len(tc.bytes) {
				t.Fatalf("DecodeBlock = %d, %v; want %d", n, err, len(tc.bytes))
			}
			if b.Function != tc.block.Function || !bytes.Equal(b.Data, tc.block.Data) ||
				b.AckRequest != tc.block.AckRequest || b.ReverseChannel != tc.block.ReverseChannel {
				t.Errorf("DecodeBlock = %+v, want %+v", b, tc.block)
			}
		})
	}
}

func TestBlockErrors(t *testing.T) {
	account := []byte{0x44, 0x23, 0x31, 0x32, 0x33, 0x34, 0x9C}
	for i := 0; i < len(account); i++ {
		if _, _, err := DecodeBlock(account[:i]); !errors.Is(err, ErrShortBlock) {
			t.Errorf("DecodeBlock of %d bytes: %v, want ErrShortBlock", i, err)
		}
	}
	corrupt := append([]byte{}, account...)
	corrupt[3] ^= 0x01
	_, _, err := DecodeBlock(corrupt)
	if !errors.Is(err, ErrParity) || protocols.ReasonOf(err) != protocols.ReasonCRC {
		t.Errorf("DecodeBlock of a corrupt block: %v, want ErrParity with reason crc", err)
	}
	if got, want := err.Error(), "sia: crc: parity 0x9C, want 0x9D"; got != want {
		t.Errorf("error %q, want %q", got, want)
	}
	big := Block{Function: FunctionNewEvent, Data: make([]byte, MaxBlockData+1)}
	if _, err := big.MarshalBinary(); !errors.Is(err, ErrSyntax) {
		t.Errorf("MarshalBinary of %d data bytes: %v, want ErrSyntax", len(big.Data), err)
	}
	flags := Block{Function: FunctionText, Data: []byte("x"), ReverseChannel: true}
	raw, _ := flags.MarshalBinary()
	if raw[0] != 0x81 {
		t.Errorf("header % X, want 81", raw[0])
	}
	if b, _, err := DecodeBlock(raw); err != nil || !b.ReverseChannel || b.AckRequest {
		t.Errorf("DecodeBlock(% X) = %+v, %v", raw, b, err)
	}
}

// TestBlocksToPayload runs a Galaxy-style session of blocks through
// AppendPayload and ParsePayload.
func TestBlocksToPayload(t *testing.T) {
	var stream []byte
	for _, b := range []Block{
		{Function: FunctionAccount, Data: []byte("1234"), AckRequest: true},
		{Function: FunctionNewEvent, Data: []byte("ri1/BA01"), AckRequest: true},
		{Function: FunctionText, Data: []byte("Front door"), AckRequest: true},
		{Function: FunctionEndOfData, AckRequest: true},
	} {
		stream, _ = b.AppendBinary(stream)
	}
	var payload []byte
	for len(stream) > 0 {
		b, n, err := DecodeBlock(stream)
		if err != nil {
			t.Fatal(err)
		}
		payload = AppendPayload(payload, b)
		stream = stream[n:]
	}
	if got, want := string(payload), "#1234|Nri1/BA01|AFront door"; got != want {
		t.Fatalf("payload %q, want %q", got, want)
	}
	account, events, err := ParsePayload(payload)
	if err != nil || account != "1234" || len(events) != 1 || events[0].Text != "Front door" || events[0].Zone != "01" {
		t.Errorf("ParsePayload(%q) = %q, %+v, %v", payload, account, events, err)
	}
}

func TestPanelTime(t *testing.T) {
	for _, tc := range []struct {
		ti, da string
		want   time.Time
	}{
		{"16:02:15", "04-22-94", time.Date(1994, 4, 22, 16, 2, 15, 0, time.UTC)},
		{"10:23", "01-02-24", time.Date(2024, 1, 2, 10, 23, 0, 0, time.UTC)},
		{"18.03", "12-31-68", time.Date(2068, 12, 31, 18, 3, 0, 0, time.UTC)},
		{"00:00", "01-01-69", time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"23:59:59", "12-31-2025", time.Date(2025, 12, 31, 23, 59, 59, 0, time.UTC)},
		{"10:23", "", time.Time{}},
		{"", "01-02-24", time.Time{}},
		{"24:00", "01-02-24", time.Time{}},
		{"10:60", "01-02-24", time.Time{}},
		{"10:23:60", "01-02-24", time.Time{}},
		{"1:23", "01-02-24", time.Time{}},
		{"10:23", "13-02-24", time.Time{}},
		{"10:23", "00-02-24", time.Time{}},
		{"10:23", "02-30-24", time.Time{}},
		{"10:23", "02/01/24", time.Time{}},
		{"10-23", "01-02-24", time.Time{}},
	} {
		if got := panelTime(tc.ti, tc.da); !got.Equal(tc.want) || got.Location() != time.UTC {
			t.Errorf("panelTime(%q, %q) = %v, want %v", tc.ti, tc.da, got, tc.want)
		}
	}
}
