package dc09

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
)

// secretForms returns every spelling of a key that must never show: the
// configured value, its bytes raw, in hex of both cases, in base64 (how JSON
// marshals []byte) and as fmt prints a byte slice or array. Text forms are
// also cut into every 8-byte window, so that a partial leak (an error that
// quotes a near miss of the key) is caught as well.
func secretForms(raw []byte, value string) []string {
	forms := []string{
		fmt.Sprint(raw),
		strings.Trim(fmt.Sprint(raw[:8]), "[]"),      // "0 1 2 3 …" inside a larger dump
		fmt.Sprintf("%#v", raw[:8])[len("[]byte{"):], // "0x0, 0x1, …" from %#v
	}
	for _, s := range []string{
		value,
		string(raw),
		strings.ToUpper(hex.EncodeToString(raw)),
		hex.EncodeToString(raw),
		base64.StdEncoding.EncodeToString(raw),
	} {
		for i := 0; i+8 <= len(s); i++ {
			forms = append(forms, s[i:i+8])
		}
	}
	return forms
}

// assertNoSecret fails when s holds any spelling of the key, after the
// model of alertmanager's notify test AssertNotifyLeaksNoSecret.
func assertNoSecret(t *testing.T, what, s string, forms []string) {
	t.Helper()
	for _, f := range forms {
		if f != "" && strings.Contains(s, f) {
			t.Errorf("%s leaks the key (%q) in %q", what, f, s)
		}
	}
}

func TestNoKeyLeaks(t *testing.T) {
	for _, k := range []struct{ value, format, account string }{
		{"A5C3F00F5AA53CC3E1D2B4877869960F", "hex", "1234"},
		{"Sup3rS3cretK3y!!", "ascii", "1234"},
		{"0F1E2D3C4B5A69788796A5B4C3D2E1F00F1E2D3C4B5A6978", "hex", "1234"},
	} {
		t.Run(k.format+"_"+fmt.Sprint(len(k.value)), func(t *testing.T) {
			raw := []byte(k.value)
			if k.format == "hex" {
				raw, _ = hex.DecodeString(k.value)
			}
			forms := secretForms(raw, k.value)
			key, err := ParseKey(k.value, k.format)
			if err != nil {
				t.Fatal(err)
			}

			// The Key itself, through every fmt verb and marshaller.
			for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T %p"} {
				s := fmt.Sprintf(verb, key)
				assertNoSecret(t, "Sprintf("+verb+", key)", s, forms)
				assertNoSecret(t, "Sprintf("+verb+", &key)", fmt.Sprintf(verb, &key), forms)
			}
			if key.String() != redacted || key.GoString() != redacted || fmt.Sprint(key) != redacted {
				t.Errorf("Key prints %q / %q / %q", key.String(), key.GoString(), fmt.Sprint(key))
			}
			js, _ := json.Marshal(map[string]any{"key": key, "ptr": &key})
			assertNoSecret(t, "JSON", string(js), forms)
			if !strings.Contains(string(js), `"key":"[redacted]"`) {
				t.Errorf("JSON of a Key = %s", js)
			}
			// A struct holding the Key in an exported and an unexported field.
			holder := struct {
				Key Key
				key Key
			}{key, key}
			for _, verb := range []string{"%v", "%+v", "%#v"} {
				assertNoSecret(t, "holder "+verb, fmt.Sprintf(verb, holder), forms)
			}

			// A frame decrypted with the key, and its ACK; then failures.
			f := &Frame{Token: TokenSIA, Sequence: "0001", Line: "0", Account: k.account,
				Data: []byte("#1234|NBA01"), Timestamp: noon2024, HasTimestamp: true}
			// A fixed pad makes the frame the same in every run, so that the
			// wrong key's garbage below is the same too: with a random pad,
			// about one run in a hundred decrypts to bytes that happen to
			// parse as a frame.
			wire, err := Encode(f, key, func(n int) []byte { return bytes.Repeat([]byte("P"), n) })
			if err != nil {
				t.Fatal(err)
			}
			c := New(Options{Keys: func(string) (Key, bool) { return key, true }})
			m, err := c.Decode(wire, defaultNow)
			if err != nil {
				t.Fatal(err)
			}
			frame := m.Detail.(*Frame)
			if frame.key.IsZero() {
				t.Fatal("the decoded frame does not hold its key")
			}
			for _, verb := range []string{"%v", "%+v", "%#v"} {
				assertNoSecret(t, "Message "+verb, fmt.Sprintf(verb, m), forms)
				assertNoSecret(t, "*Message "+verb, fmt.Sprintf(verb, *m), forms)
				assertNoSecret(t, "*Frame "+verb, fmt.Sprintf(verb, frame), forms)
				assertNoSecret(t, "Frame "+verb, fmt.Sprintf(verb, *frame), forms)
				assertNoSecret(t, "Codec "+verb, fmt.Sprintf(verb, c), forms)
			}
			for _, v := range []any{m, frame, *frame} {
				js, err := json.Marshal(v)
				if err != nil {
					t.Fatal(err)
				}
				assertNoSecret(t, fmt.Sprintf("JSON of %T", v), string(js), forms)
			}

			var errs []error
			// Wrong key, window, corrupt ciphertext, no key.
			other, _ := ParseKey(strings.Repeat("77", 16), "hex")
			for _, o := range []Options{
				{Keys: func(string) (Key, bool) { return other, true }},
				{Keys: func(string) (Key, bool) { return key, true }},
				{},
			} {
				c := New(o)
				_, err := c.Decode(wire, noon2024.Add(-time.Hour))
				errs = append(errs, err)
			}
			corrupt := []byte(string(wire))
			corrupt[len(corrupt)-3] ^= 1
			_, err = c.Decode([]byte(plainFrame(string(corrupt[10:len(corrupt)-1]))), defaultNow)
			errs = append(errs, err)
			_, err = Parse(wire, other)
			errs = append(errs, err)
			// Rejected key values: near misses of the real one.
			nearMisses := []string{k.value + "0", k.value[1:], k.value[:len(k.value)-1] + "\x00"}
			if k.format == "hex" {
				nearMisses = append(nearMisses, "zz"+k.value[2:])
			}
			for _, v := range nearMisses {
				_, err := ParseKey(v, k.format)
				errs = append(errs, err)
			}
			_, err = ParseKey(k.value, "base64")
			errs = append(errs, err)
			for i, err := range errs {
				if err == nil {
					t.Fatalf("failure %d: expected an error", i)
				}
				for _, s := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", err)} {
					assertNoSecret(t, "error", s, forms)
				}
				var fe *protocols.FrameError
				if errors.As(err, &fe) {
					js, _ := json.Marshal(fe)
					assertNoSecret(t, "JSON of FrameError", string(js), forms)
				}
			}
		})
	}
}
