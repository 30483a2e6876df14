package daemon

import (
	"github.com/alarmrx/alarmrx/configs"
	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/store"
)

// senderModes gives a listener whose protocol names each message's sender
// (the registry's Sender: an xmlsignal message's Header/Source) the prefix
// mode that sender states in place of the receiver's; nil when the
// protocol names none or no sender is configured.
func senderModes(cfg *configs.Config, sender func(*protocols.Message) string) func(*protocols.Message) (store.PrefixMode, bool) {
	if sender == nil || len(cfg.XML.Senders) == 0 {
		return nil
	}
	modes := make(map[string]store.PrefixMode, len(cfg.XML.Senders))
	for _, sc := range cfg.XML.Senders {
		modes[sc.ID] = store.PrefixMode(sc.PrefixMode())
	}
	return func(m *protocols.Message) (store.PrefixMode, bool) {
		mode, ok := modes[sender(m)]
		return mode, ok
	}
}
