package contactid

import (
	"errors"
	"reflect"
	"testing"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/internal/casetest"
)

func TestParse(t *testing.T) {
	for _, tc := range parseCases {
		if tc.payload {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			m, err := Parse([]byte(tc.input))
			if !casetest.CheckError(t, "contactid", err, tc.wantErr, tc.wantReason) {
				return
			}
			if m != tc.wantMessage {
				t.Errorf("Parse(%q) message\n got %+v\nwant %+v", tc.input, m, tc.wantMessage)
			}
			if got := m.Event(); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Parse(%q).Event()\n got %+v\nwant %+v", tc.input, got, tc.want)
			}
		})
	}
}

func TestParsePayload(t *testing.T) {
	for _, tc := range parseCases {
		if !tc.payload {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			account, ev, err := ParsePayload([]byte(tc.input))
			if !casetest.CheckError(t, "contactid", err, tc.wantErr, tc.wantReason) {
				return
			}
			if account != tc.wantAccount {
				t.Errorf("ParsePayload(%q) account %q, want %q", tc.input, account, tc.wantAccount)
			}
			if !reflect.DeepEqual(ev, tc.want) {
				t.Errorf("ParsePayload(%q)\n got %+v\nwant %+v", tc.input, ev, tc.want)
			}
		})
	}
}

func TestErrorText(t *testing.T) {
	_, err := Parse([]byte("1234181131010159"))
	if got, want := err.Error(), "contactid: checksum: check digit '9', want '8'"; got != want {
		t.Errorf("checksum error %q, want %q", got, want)
	}
	_, _, err = ParsePayload([]byte("#1234|7130 01 015"))
	if got, want := err.Error(), "contactid: syntax: qualifier '7' is not 1, 3 or 6"; got != want {
		t.Errorf("syntax error %q, want %q", got, want)
	}
}

func TestChecksum(t *testing.T) {
	for _, tc := range checksumCases {
		got, err := Checksum([]byte(tc.first15))
		if err != nil || got != tc.want {
			t.Errorf("Checksum(%q) = %q, %v; want %q", tc.first15, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "12341811310101", "1234181131010158", "12341811310101X"} {
		if _, err := Checksum([]byte(bad)); !errors.Is(err, ErrSyntax) {
			t.Errorf("Checksum(%q) error %v, want ErrSyntax", bad, err)
		}
	}
}

// TestChecksumEveryRemainder checks that the check digit completes every
// possible sum to a multiple of 15 and is never A.
func TestChecksumEveryRemainder(t *testing.T) {
	for sum := 0; sum < 45; sum++ {
		d := checkDigit(sum)
		if d == 'A' {
			t.Fatalf("checkDigit(%d) = 'A'", sum)
		}
		if _, ok := normalDigit(d); !ok {
			t.Fatalf("checkDigit(%d) = %q, not a digit", sum, d)
		}
		if (sum+weight(d))%15 != 0 {
			t.Errorf("checkDigit(%d) = %q leaves remainder %d", sum, d, (sum+weight(d))%15)
		}
	}
}

func TestEncode(t *testing.T) {
	for _, tc := range encodeCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Encode(tc.account, tc.event)
			if tc.wantMessage == "" {
				if !errors.Is(err, ErrSyntax) {
					t.Fatalf("Encode = %q, %v; want ErrSyntax", got, err)
				}
				return
			}
			if err != nil || got != tc.wantMessage {
				t.Fatalf("Encode = %q, %v; want %q", got, err, tc.wantMessage)
			}
			m, err := Parse([]byte(got))
			if err != nil {
				t.Fatalf("Parse(Encode) = %v", err)
			}
			if m.Code != tc.event.Code || m.Qualifier != qualifierOrNew(tc.event.Qualifier) {
				t.Errorf("Parse(Encode) = %+v, lost code or qualifier of %+v", m, tc.event)
			}
		})
	}
}

func TestFormatPayload(t *testing.T) {
	for _, tc := range encodeCases {
		t.Run(tc.name, func(t *testing.T) {
			if got := FormatPayload(tc.account, tc.event); got != tc.wantPayload {
				t.Errorf("FormatPayload = %q, want %q", got, tc.wantPayload)
			}
		})
	}
}

// TestFormatRoundTrip formats every decoded case and decodes it again.
func TestFormatRoundTrip(t *testing.T) {
	for _, tc := range parseCases {
		if tc.wantErr != nil {
			continue
		}
		payload := FormatPayload(tc.want.Account, tc.want)
		account, ev, err := ParsePayload([]byte(payload))
		if err != nil || account != tc.want.Account || !reflect.DeepEqual(ev, tc.want) {
			t.Errorf("%s: ParsePayload(FormatPayload) of %q = %q, %+v, %v", tc.name, payload, account, ev, err)
		}
		if got, want := Format(tc.want), payload[len(payload)-11:]; got != want {
			t.Errorf("%s: Format = %q, want %q", tc.name, got, want)
		}
	}
	if got := Format(protocols.Event{Code: "BA"}); got != "" {
		t.Errorf("Format of a SIA code = %q, want \"\"", got)
	}
}

func qualifierOrNew(q protocols.Qualifier) protocols.Qualifier {
	if q == protocols.QualifierNone {
		return protocols.QualifierNew
	}
	return q
}
