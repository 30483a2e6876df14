package panel

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestBenchFrame: each bench type gives the frame its name promises, with
// the panel's own account and the sequence and zone of frame n.
func TestBenchFrame(t *testing.T) {
	now := time.Date(2026, 12, 1, 13, 45, 7, 600_000_000, time.FixedZone("CET", 3600))
	for _, tc := range []struct {
		typ   string
		n     int
		token string
		seq   string
		data  string
	}{
		{BenchSIA, 0, "SIA-DCS", "0001", "#100007|Nri1/BA000"},
		{BenchSIA, 9998, "SIA-DCS", "9999", "#100007|Nri1/BA000"},
		{BenchSIA, 9999, "SIA-DCS", "0001", "#100007|Nri1/BA001"}, // the sequence wraps, the zone moves on
		{BenchCID, 0, "ADM-CID", "0001", "#100007|1130 01 000"},
		{BenchCID, 41, "ADM-CID", "0042", "#100007|1130 01 000"},
		{BenchCID, 2*9999 + 4, "ADM-CID", "0005", "#100007|1130 01 002"},
		{BenchNull, 0, "NULL", "0001", ""},
		{BenchNull, 9999, "NULL", "0001", ""},
		{BenchMix, 0, "NULL", "0001", ""},
		{BenchMix, MixEvery - 2, "NULL", "0009", ""},
		{BenchMix, MixEvery - 1, "SIA-DCS", "0010", "#100007|Nri1/BA000"},
		{BenchMix, MixEvery, "NULL", "0011", ""},
		{BenchMix, 2*MixEvery - 1, "SIA-DCS", "0020", "#100007|Nri1/BA000"},
		{BenchMix, 9999 + 10, "SIA-DCS", "0011", "#100007|Nri1/BA001"}, // the first alarm after the wrap
	} {
		t.Run(fmt.Sprintf("%s/%d", tc.typ, tc.n), func(t *testing.T) {
			f := BenchFrame(tc.typ, "100007", tc.n, false, now)
			if f.Token != tc.token || f.Sequence != tc.seq || string(f.Data) != tc.data {
				t.Errorf("got %s seq %s data %q, want %s seq %s data %q", f.Token, f.Sequence, f.Data, tc.token, tc.seq, tc.data)
			}
			if f.Account != "100007" || f.Line != "0" || f.Encrypted {
				t.Errorf("account %q line %q encrypted %v", f.Account, f.Line, f.Encrypted)
			}
			if !f.HasTimestamp || !f.Timestamp.Equal(time.Date(2026, 12, 1, 12, 45, 7, 0, time.UTC)) || f.Timestamp.Location() != time.UTC {
				t.Errorf("timestamp %v (has %v), want 12:45:07 UTC", f.Timestamp, f.HasTimestamp)
			}
		})
	}
}

// TestBenchFramesAreNotDuplicates: within three wraps of the sequence no
// two alarms of a panel carry the same sequence and data, so a receiver
// takes none for a retransmission; polls carry no event to compare.
func TestBenchFramesAreNotDuplicates(t *testing.T) {
	for _, typ := range BenchTypes {
		seen := map[string]int{}
		for n := range 3 * 9999 {
			f := BenchFrame(typ, "100000", n, false, time.Time{})
			if f.Token == "NULL" {
				continue
			}
			k := f.Sequence + " " + string(f.Data)
			if m, ok := seen[k]; ok {
				t.Fatalf("%s: frames %d and %d are both %s", typ, m, n, k)
			}
			seen[k] = n
		}
		want := map[string]int{BenchNull: 0, BenchSIA: 3 * 9999, BenchCID: 3 * 9999, BenchMix: 3 * 9999 / MixEvery}[typ]
		if len(seen) != want {
			t.Errorf("%s: %d alarms in %d frames, want %d", typ, len(seen), 3*9999, want)
		}
	}
}

func TestBenchTypeForToken(t *testing.T) {
	for token, want := range map[string]string{"SIA-DCS": BenchSIA, "ADM-CID": BenchCID, "NULL": BenchNull, "BOGUS": "", "sia-dcs": ""} {
		if got, ok := BenchTypeForToken(token); got != want || ok != (want != "") {
			t.Errorf("BenchTypeForToken(%q) = %q, %v; want %q", token, got, ok, want)
		}
	}
}

// TestBenchRefusesUnknownType: an unknown type is refused before a panel
// connects, rather than sending frames of some other type.
func TestBenchRefusesUnknownType(t *testing.T) {
	_, err := Bench(context.Background(), BenchOptions{Options: Options{Network: "tcp", Addr: "127.0.0.1:1"}, Count: 1, Type: "alarm"})
	if err == nil || err.Error() != `panel: bench type "alarm" is none of [null sia cid mix]` {
		t.Fatalf("err = %v", err)
	}
}
