package daemon

import (
	"github.com/alarmrx/alarmrx/configs"
	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/xmlsignal"
	"github.com/alarmrx/alarmrx/store"
)

// senderModes gives an xmlsignal TCP listener the prefix mode of each
// message's sender (its Header/Source), which states its own in place of
// the receiver's; nil for other protocols.
func senderModes(cfg *configs.Config, lc configs.Listener) func(*protocols.Message) (store.PrefixMode, bool) {
	if lc.Protocol != xmlsignal.Name || len(cfg.XML.Senders) == 0 {
		return nil
	}
	modes := make(map[string]store.PrefixMode, len(cfg.XML.Senders))
	for _, sc := range cfg.XML.Senders {
		modes[sc.ID] = store.PrefixMode(sc.PrefixMode())
	}
	return func(m *protocols.Message) (store.PrefixMode, bool) {
		x, ok := m.Detail.(*xmlsignal.Message)
		if !ok {
			return "", false
		}
		mode, ok := modes[x.Header.Source]
		return mode, ok
	}
}
