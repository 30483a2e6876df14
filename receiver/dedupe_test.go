package receiver

import (
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
)

func TestDedupeWindowAndCap(t *testing.T) {
	t0 := time.Unix(1000, 0)
	d := newDedupe(time.Minute, 3)
	e, first := d.begin("a", t0)
	if !first {
		t.Fatal("first begin not first")
	}
	if _, first := d.begin("a", t0.Add(time.Second)); first {
		t.Fatal("repeat within window treated as new")
	}
	d.finish(e, true)
	if _, first := d.begin("a", t0.Add(2*time.Minute)); !first {
		t.Fatal("key still remembered after the window")
	}
	for _, k := range []string{"b", "c", "d", "e"} {
		d.begin(k, t0.Add(2*time.Minute))
	}
	if n := d.len(); n != 3 {
		t.Fatalf("len = %d, want the cap 3", n)
	}
}

func TestDedupeFailedCommitIsForgotten(t *testing.T) {
	d := newDedupe(time.Minute, 10)
	now := time.Unix(1000, 0)
	e, _ := d.begin("k", now)
	d.finish(e, false)
	if _, first := d.begin("k", now); !first {
		t.Fatal("a key whose commit failed must be committed afresh")
	}
}

func TestDedupeKeyIgnoresTimestampButNotContent(t *testing.T) {
	m := &protocols.Message{Protocol: "dc09", Kind: "SIA-DCS", Account: "1234", Sequence: "0001",
		Timestamp: time.Unix(1, 0), Events: []protocols.Event{{Code: "BA", Address: "01"}}}
	k1 := dedupeKey(1, "1234", m)
	m2 := *m
	m2.Timestamp = time.Unix(99, 0)
	if dedupeKey(1, "1234", &m2) != k1 {
		t.Error("timestamp changed the key")
	}
	m2.Events = []protocols.Event{{Code: "BA", Address: "02"}}
	if dedupeKey(1, "1234", &m2) == k1 {
		t.Error("a different zone gave the same key")
	}
	if dedupeKey(2, "1234", m) == k1 {
		t.Error("a different receiver gave the same key")
	}
	if dedupeKey(1, "1234", &protocols.Message{Sequence: "0000"}) != "" {
		t.Error("link tests must not be deduplicated")
	}
}
