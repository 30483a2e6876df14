package masxml

import (
	"strings"
	"testing"
	"time"
)

// TestRedactDropsPhotos: the stored frame keeps no photo bytes, and reads
// as the same message; a message without a photo is stored as received.
func TestRedactDropsPhotos(t *testing.T) {
	c := New(Options{})
	stored := c.Redact([]byte(payloadMsg))
	if strings.Contains(string(stored), photoB64[:20]) || !strings.Contains(string(stored), "<PacketData>[redacted]</PacketData>") {
		t.Fatalf("stored frame %q keeps the photo", stored)
	}
	a, errA := c.Decode([]byte(payloadMsg), time.Time{})
	b, errB := c.Decode(stored, time.Time{})
	if errA != nil || errB != nil || a.Sequence != b.Sequence || len(a.Events) != len(b.Events) || a.Events[0].Code != b.Events[0].Code {
		t.Fatalf("the stored frame reads otherwise: %+v %v / %+v %v", a, errA, b, errB)
	}
	plain := []byte(emulatorAjax)
	if got := c.Redact(plain); &got[0] != &plain[0] {
		t.Fatal("a message without a photo was copied")
	}
}
