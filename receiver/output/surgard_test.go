package output

import (
	"strings"
	"testing"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/surgard"
	"github.com/alarmrx/alarmrx/store"
)

func TestRecordEventCarriesReceiveTime(t *testing.T) {
	at := time.Date(2026, 11, 30, 9, 7, 48, 0, time.UTC)
	it := store.OutboxItem{ReceivedAt: at, Receiver: 1, Line: 3, Account: "ABC1234", Event: protocols.Event{
		Format: protocols.FormatSIA, Code: "BA", Qualifier: protocols.QualifierNew, Zone: "017", Address: "017",
		AddressKind: protocols.AddressZone, Partition: "1",
		Modifiers: []protocols.Modifier{{Name: "media_portal", Value: "https://x/y?a=1&b=2"}, {Name: "attr_camera", Value: "ch2"}},
	}}
	rec, err := surgard.Encode(surgard.Head{Receiver: 1, Line: 3}, it.Account, recordEvent(it))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(rec); got != "S01003[#ABC1234|Nri1/da11-30-26/ti09:07:48/BA017]\x14" {
		t.Fatalf("record %q", got)
	}
	// A panel's own time stays.
	it.Event.Modifiers = []protocols.Modifier{{Name: "ti", Value: "08:00:00"}}
	rec, _ = surgard.Encode(surgard.Head{Receiver: 1, Line: 3}, it.Account, recordEvent(it))
	if !strings.Contains(string(rec), "ti08:00:00") || strings.Contains(string(rec), "09:07:48") {
		t.Fatalf("record %q", rec)
	}
}
