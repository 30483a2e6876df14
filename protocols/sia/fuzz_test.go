package sia

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/alarmrx/alarmrx/protocols"
)

// FuzzParsePayload: ParsePayload must not panic and must fail only with
// ErrSyntax. Accepted data must survive FormatPayload and ParsePayload with
// the same codes, addresses, zones, users, partitions, qualifiers and
// modifiers, and formatting that result again must change nothing.
func FuzzParsePayload(f *testing.F) {
	for _, tc := range payloadCases {
		f.Add([]byte(tc.input))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		account, events, err := ParsePayload(data)
		if err != nil {
			if !errors.Is(err, ErrSyntax) || protocols.ReasonOf(err) != protocols.ReasonSyntax {
				t.Fatalf("error %v is not a syntax FrameError", err)
			}
			return
		}
		formatted := FormatPayload(account, events)
		if formatted == "" && (account != "" || len(events) > 0) {
			t.Fatalf("FormatPayload of parsed %q gave nothing", data)
		}
		account2, events2, err := ParsePayload([]byte(formatted))
		if err != nil {
			t.Fatalf("ParsePayload(FormatPayload(%q)) = %q: %v", data, formatted, err)
		}
		if account2 != account || len(events2) != len(events) {
			t.Fatalf("round trip of %q via %q: account %q, %d events; want %q, %d", data, formatted, account2, len(events2), account, len(events))
		}
		for i, want := range events {
			got := events2[i]
			if got.Code != want.Code || got.Address != want.Address || got.Zone != want.Zone ||
				got.User != want.User || got.Partition != want.Partition || got.Qualifier != want.Qualifier ||
				!got.PanelTime.Equal(want.PanelTime) || !reflect.DeepEqual(got.Modifiers, want.Modifiers) {
				t.Fatalf("round trip of %q via %q: event %d\n got %+v\nwant %+v", data, formatted, i, got, want)
			}
		}
		if again := FormatPayload(account2, events2); again != formatted {
			t.Fatalf("FormatPayload not stable for %q: %q then %q", data, formatted, again)
		}
	})
}

// FuzzParse feeds bytes through the whole DC-03 receive path of a serial or
// Galaxy TCP line: DecodeBlock block by block, AppendPayload, ParsePayload.
// Nothing may panic; every block decoded must encode to the very bytes it
// came from; the flattened data may fail only with ErrSyntax.
func FuzzParse(f *testing.F) {
	var session []byte
	for _, tc := range blockCases {
		f.Add(tc.bytes)
		session = append(session, tc.bytes...)
	}
	f.Add(session)
	f.Add([]byte{0x48, 0x4E, 0x72, 0x69, 0x31, 0x2F, 0x42, 0x41, 0x30, 0x31, 0xFF}) // bad parity
	f.Fuzz(func(t *testing.T, data []byte) {
		var payload []byte
		for len(data) > 0 {
			b, n, err := DecodeBlock(data)
			if err != nil {
				if !errors.Is(err, ErrShortBlock) && !errors.Is(err, ErrParity) {
					t.Fatalf("unexpected error %v", err)
				}
				break
			}
			encoded, err := b.AppendBinary(nil)
			if err != nil || !bytes.Equal(encoded, data[:n]) {
				t.Fatalf("AppendBinary(DecodeBlock(% X)) = % X, %v", data[:n], encoded, err)
			}
			payload = AppendPayload(payload, b)
			data = data[n:]
		}
		if _, _, err := ParsePayload(payload); err != nil && !errors.Is(err, ErrSyntax) {
			t.Fatalf("ParsePayload(%q): %v", payload, err)
		}
	})
}
