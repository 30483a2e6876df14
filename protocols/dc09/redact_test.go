package dc09

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

const cut = "…[rest not kept: not well-formed]"

// redactCases are the evidence copies Redact must make, byte for byte; the
// fuzz target starts from them. Redact does not check the CRC, so most of
// these frames carry none that matches.
var redactCases = []struct {
	name, in, want string
}{
	{"no key block", "\nED280035\"SIA-DCS\"0001L0#1234[#1234|NBA01]_12:00:00,01-01-2024\r",
		"\nED280035\"SIA-DCS\"0001L0#1234[#1234|NBA01]_12:00:00,01-01-2024\r"},
	{"key change in clear",
		"\nD8620065\"SIA-DCS\"0042L0#1234[#1234|NBA01][K00112233445566778899AABBCCDDEEFF][Ikey change]_12:00:00,01-01-2024\r",
		"\nD8620065\"SIA-DCS\"0042L0#1234[#1234|NBA01][K[redacted]][Ikey change]_12:00:00,01-01-2024\r"},
	{"every key block, NULs after the CR kept", "\n00000000\"NULL\"0001R1L0#1234[][K1111AAAA][X1][K2222BBBB]\r\x00\x00",
		"\n00000000\"NULL\"0001R1L0#1234[][K[redacted]][X1][K[redacted]]\r\x00\x00"},
	{"a bad CRC is blanked too", "\nFFFF0027\"SIA-DCS\"0001L0#1234[#1234|NBA01][Ktopsecret]\r",
		"\nFFFF0027\"SIA-DCS\"0001L0#1234[#1234|NBA01][K[redacted]]\r"},
	{"[K inside the data block is data", "\n00000000\"SIA-DCS\"0001L0#1234[#1234|NBA01[Kdata][I1]\r",
		"\n00000000\"SIA-DCS\"0001L0#1234[#1234|NBA01[Kdata][I1]\r"},
	{"[K inside another block is its value", "\n00000000\"SIA-DCS\"0001L0#1234[#1234|NBA01][I[Kvalue]\r",
		"\n00000000\"SIA-DCS\"0001L0#1234[#1234|NBA01][I[Kvalue]\r"},
	{"an empty key block stays empty", "\n00000000\"NULL\"0001L0#1234[][K]\r", "\n00000000\"NULL\"0001L0#1234[][K]\r"},
	{"lower-case k is another block", "\n00000000\"NULL\"0001L0#1234[][k1234]\r", "\n00000000\"NULL\"0001L0#1234[][k1234]\r"},
	{"binary CRC bytes that read [K", "\n[K0012\"ACK\"0001L0#1234[]\r", "\n[K0012\"ACK\"0001L0#1234[]\r"},
	{"encrypted: the ciphertext is kept",
		"\nEE2C0093\"*NULL\"0043L0#1234[0D7DC74F9F2DF705228EE11916E66B5B2EEB9EDF39DA599D74714BAF38D133D00D0AB719CD35313BC68209F3F20F42DB68AB740BA2E5418FBF27CDE7248C6E23\r",
		"\nEE2C0093\"*NULL\"0043L0#1234[0D7DC74F9F2DF705228EE11916E66B5B2EEB9EDF39DA599D74714BAF38D133D00D0AB719CD35313BC68209F3F20F42DB68AB740BA2E5418FBF27CDE7248C6E23\r"},
	{"encrypted with [K in clear", "\n00000000\"*SIA-DCS\"0001L0#1234[0D7D][Ktopsecret]\r", "\n00000000\"*SIA-DCS\"0001L0#1234[0D7D]" + cut},
	{"blocks not closed", "\n00000000\"NULL\"0001L0#1234[][I1][Ktopsecret\r", "\n00000000\"NULL\"0001L0#1234[][I1]" + cut},
	{"bad timestamp after the key", "\n00000000\"NULL\"0001L0#1234[][Ktopsecret]_junk\r", "\n00000000\"NULL\"0001L0#1234[]" + cut},
	{"no frame at all", "garbage[Ktopsecret]", "garbage" + cut},
	{"header unreadable", "\n00000000\"NULL\"00x1L0#1234[][Ktopsecret]\r", "\n00000000\"NULL\"00x1L0#1234[]" + cut},
	{"empty", "", ""},
}

func TestRedact(t *testing.T) {
	c := New(Options{})
	for _, tc := range redactCases {
		t.Run(tc.name, func(t *testing.T) {
			got := string(c.Redact([]byte(tc.in)))
			if got != tc.want {
				t.Fatalf("Redact(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
			for _, secret := range []string{"topsecret", "1111AAAA", "2222BBBB", "00112233445566778899AABBCCDDEEFF"} {
				if strings.Contains(got, secret) {
					t.Fatalf("the key %s is kept: %q", secret, got)
				}
			}
		})
	}
}

// TestRedactTable: frames without a key block are kept byte for byte (and
// cost no allocation); a decoded frame's JSON never shows a key, in clear
// or decrypted.
func TestRedactTable(t *testing.T) {
	c := New(Options{})
	for _, tc := range frameCases {
		raw := []byte(tc.raw)
		if !bytes.Contains(raw, keyBlock) {
			if got := c.Redact(raw); !bytes.Equal(got, raw) {
				t.Errorf("%s: changed to %q", tc.name, got)
			}
			if n := testing.AllocsPerRun(10, func() { _ = c.Redact(raw) }); n != 0 {
				t.Errorf("%s: %v allocations", tc.name, n)
			}
		}
		dc, err := codecFor(tc)
		if err != nil {
			t.Fatal(err)
		}
		m, _ := dc.Decode(raw, tc.clock())
		if m == nil {
			continue
		}
		b, err := json.Marshal(m.Detail)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range tc.msg.xdata {
			if x.ID == xdataKey && bytes.Contains(b, x.Value) {
				t.Errorf("%s: the JSON shows the key: %s", tc.name, b)
			}
		}
	}
	for _, name := range []string{"key_change_plain", "aes_key_change_null"} {
		if _, ok := caseByName(name); !ok {
			t.Errorf("case %s missing", name)
		}
	}
}
