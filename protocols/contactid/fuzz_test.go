package contactid

import (
	"errors"
	"reflect"
	"testing"

	"github.com/alarmrx/alarmrx/protocols"
)

// FuzzParse: Parse must not panic, must fail only with its own errors, and
// a message it accepts must survive Encode and Parse again (as type 18).
func FuzzParse(f *testing.F) {
	for _, tc := range parseCases {
		f.Add([]byte(tc.input))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Parse(data)
		if err != nil {
			checkFuzzError(t, err)
			return
		}
		ev := m.Event()
		encoded, err := Encode(m.Account, ev)
		if err != nil {
			t.Fatalf("Encode of parsed %q: %v", data, err)
		}
		again, err := Parse([]byte(encoded))
		if err != nil {
			t.Fatalf("Parse(Encode(%q)) = %q: %v", data, encoded, err)
		}
		if !reflect.DeepEqual(again.Event(), ev) {
			t.Fatalf("round trip of %q via %q\n got %+v\nwant %+v", data, encoded, again.Event(), ev)
		}
	})
}

// FuzzParsePayload: ParsePayload must not panic, and an accepted payload
// must survive FormatPayload and ParsePayload again unchanged.
func FuzzParsePayload(f *testing.F) {
	for _, tc := range parseCases {
		f.Add([]byte(tc.input))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		account, ev, err := ParsePayload(data)
		if err != nil {
			checkFuzzError(t, err)
			return
		}
		formatted := FormatPayload(account, ev)
		if formatted == "" {
			t.Fatalf("FormatPayload of parsed %q gave nothing", data)
		}
		account2, ev2, err := ParsePayload([]byte(formatted))
		if err != nil {
			t.Fatalf("ParsePayload(FormatPayload(%q)) = %q: %v", data, formatted, err)
		}
		if account2 != account || !reflect.DeepEqual(ev2, ev) {
			t.Fatalf("round trip of %q via %q\n got %q %+v\nwant %q %+v", data, formatted, account2, ev2, account, ev)
		}
	})
}

func checkFuzzError(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrChecksum) {
		t.Fatalf("error %v wraps neither ErrSyntax nor ErrChecksum", err)
	}
	if r := protocols.ReasonOf(err); r != protocols.ReasonSyntax && r != protocols.ReasonChecksum {
		t.Fatalf("error %v has reason %v", err, r)
	}
}
