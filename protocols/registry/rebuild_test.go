package registry

import (
	"strings"
	"testing"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/dc09"
)

// TestEveryDetailRebuilderIsRegistered: a codec that lets the receiver
// store a frame without its detail (protocols.DetailRebuilder) has its
// protocol's RebuildDetail set, or the store's readers could not rebuild
// what was left out.
func TestEveryDetailRebuilderIsRegistered(t *testing.T) {
	for _, p := range All() {
		c, err := p.Build(Options{})
		if err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
		_, rebuilds := c.(protocols.DetailRebuilder)
		if rebuilds != (p.RebuildDetail != nil) {
			t.Errorf("%s: codec rebuilds its detail: %v; registry's RebuildDetail set: %v", p.Name, rebuilds, p.RebuildDetail != nil)
		}
	}
	raw, err := dc09.Encode(&dc09.Frame{Token: dc09.TokenSIA, Sequence: "0001", Line: "1", Account: "1234",
		Data: []byte("#1234|Nri1/BA001")}, dc09.Key{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	d, ok := RebuildDetail("dc09", raw)
	if !ok || !strings.Contains(string(d), `"Data":"#1234|Nri1/BA001"`) {
		t.Errorf("dc09 detail rebuilt from %q: %s, %v", raw, d, ok)
	}
	if d, ok := RebuildDetail("surgard", []byte("anything")); ok {
		t.Errorf("surgard rebuilt a detail %s; it stores its own", d)
	}
}
