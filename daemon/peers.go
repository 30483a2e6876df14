package daemon

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/configs"
	"github.com/alarmrx/alarmrx/daemon/output"
	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/dc09"
	"github.com/alarmrx/alarmrx/protocols/manitou"
	"github.com/alarmrx/alarmrx/protocols/masxml"
	"github.com/alarmrx/alarmrx/protocols/microkey"
	"github.com/alarmrx/alarmrx/protocols/sentinel"
	"github.com/alarmrx/alarmrx/protocols/sos"
	"github.com/alarmrx/alarmrx/protocols/xmlsignal"
	"go.uber.org/zap"
)

// PeerDialect builds the sending side of a peer output's format
// (validated: one of configs.PeerFormats).
func PeerDialect(pc configs.PeerOutput, now func() time.Time) (output.Dialect, error) {
	switch pc.Format {
	case "dc09":
		var key dc09.Key
		if pc.Key != "" {
			k, err := dc09.ParseKey(pc.Key, pc.KeyFormat)
			if err != nil {
				return nil, fmt.Errorf("key: %w", err) // names the field, never the key
			}
			key = k
		}
		account := ""
		if pc.SenderID != configs.DefaultSenderID {
			account = strings.ToUpper(pc.SenderID) // validated: 3-16 hex digits
		}
		return output.NewDC09(key, strings.ToUpper(pc.Receiver), strings.ToUpper(pc.Line), account, now), nil
	case "microkey":
		return output.DialectFuncs{Encode: microkey.EncodeSignal, Heartbeat: microkey.EncodeHeartbeat,
			Split: microkey.SplitReply, Parse: microkey.ParseReply}, nil
	case "masxml":
		o := masxml.EncodeOptions{SourceID: pc.SenderID}
		return output.DialectFuncs{Encode: o.EncodeSignal, Heartbeat: o.EncodeHeartbeat,
			Split: masxml.SplitReply, Parse: masxml.ParseReply}, nil
	case "manitou":
		sender, passkey := pc.SenderID, pc.Passkey
		return output.DialectFuncs{Encode: manitou.EncodeSignal,
			Heartbeat: func(seq string, at time.Time) []byte { return manitou.EncodeHeartbeatAuth(seq, at, sender, passkey) },
			Split:     manitou.SplitReply, Parse: manitou.ParseReply}, nil
	case "sentinel":
		return output.DialectFuncs{Encode: sentinel.EncodeSignal, Heartbeat: sentinel.EncodeHeartbeat,
			Split: sentinel.SplitReply, Parse: sentinel.ParseReply}, nil
	case "native":
		s := xmlsignal.Sender{Source: pc.SenderID, Passkey: pc.Passkey}
		return output.DialectFuncs{Encode: s.EncodeSignal, Heartbeat: s.EncodeHeartbeat,
			Split: xmlsignal.SplitReply, Parse: xmlsignal.ParseReply}, nil
	case "sos":
		tx := sos.Transmitter{Authentication: pc.Passkey, Receiver: pc.Receiver, TransmitterType: pc.TransmitterType,
			TransmitterCode: pc.SenderID}
		if err := tx.Validate(); err != nil {
			return nil, err // never holds the password
		}
		// SOS Access has no media element: links are not sent to a receiver
		// that may refuse elements it does not know.
		encode := func(seq, account string, ev protocols.Event, at time.Time) ([]byte, error) {
			ev.Modifiers = slices.DeleteFunc(slices.Clone(ev.Modifiers), func(m protocols.Modifier) bool {
				return strings.HasPrefix(m.Name, "media_")
			})
			return tx.EncodeSignal(seq, account, ev, at)
		}
		return output.DialectFuncs{Encode: encode, Heartbeat: tx.EncodeHeartbeat, Split: sos.SplitReply, Parse: sos.ParseReply}, nil
	}
	return nil, fmt.Errorf("format %q has no sending side", pc.Format)
}

// warnOpenListeners says, once at start, which listeners take signals from
// anyone who reaches their port: the cloud dialects whose messages carry
// no passkey (masxml, microkey, sentinel), Manitou, whose passkey comes
// on heartbeats only, and SOS Access without a sender to check its
// password against, when no allowed_sources bounds them.
func warnOpenListeners(cfg *configs.Config, log *zap.Logger) {
	for _, rc := range cfg.Receivers {
		for _, lc := range rc.Listeners {
			if len(lc.AllowedSources) > 0 || lc.TCP == "" {
				continue
			}
			why := ""
			switch lc.Protocol {
			case "masxml", "microkey", "sentinel":
				why = "its messages carry no passkey"
			case "manitou":
				why = "only its heartbeats carry a passkey"
			case "sos":
				if len(cfg.XML.Senders) == 0 {
					why = "no xml.senders entry holds a password to check"
				}
			}
			if why != "" {
				log.Warn("listener takes signals from any address that reaches it: "+why+"; set allowed_sources to the cloud's addresses",
					zap.String("listener", lc.Name), zap.String("protocol", lc.Protocol), zap.String("tcp", lc.TCP))
			}
		}
	}
}
