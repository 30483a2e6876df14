package sos

import (
	"strconv"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
)

// ArrivalTimeLayout is the form of <arrivaltime>, the source's
// "2006-12-24 15:00:00.000" [S7 alarmresponse example], in the location
// of the time the receiver passes (its local time: the source's times
// carry no zone).
const ArrivalTimeLayout = "2006-01-02 15:04:05.000"

const xmlHeader = `<?xml version="1.0" encoding="ISO-8859-1"?>`

// Reply encodes the answer to a decoded message for an outcome, as
// StatusFor chooses its status: an alarmresponse, a pingresponse to a
// pingrequest, a requestnewauthenticationresponse to a
// requestnewauthentication. It is never nil: SOS Access answers every
// request [S7].
func (c *Codec) Reply(m *protocols.Message, outcome error, now time.Time) []byte {
	return Answer(m, StatusFor(outcome), now)
}

// Answer encodes the response with a given status: the receiver answers a
// retransmission it has stored already with StatusDuplicatedAlarm, and
// pings that come too often with StatusPingTooOften. The response echoes
// the request's reference when it had one [S7]; arrivaltime is now in
// ArrivalTimeLayout. m may be nil: an alarmresponse without reference.
//
//	<?xml version="1.0" encoding="ISO-8859-1"?><alarmresponse><reference>1</reference><status>0</status><info>OK</info><arrivaltime>2006-12-24 15:00:00.000</arrivaltime></alarmresponse>
func Answer(m *protocols.Message, status int, now time.Time) []byte {
	root, ref := "alarmresponse", ""
	if m != nil {
		ref = m.Sequence
		if r, ok := m.Detail.(*Request); ok && r != nil {
			switch r.Type {
			case rootPing:
				root = "pingresponse"
			case rootNewAuth:
				root = "requestnewauthenticationresponse"
			}
		}
	}
	info := StatusInfo(status)
	if info == "" {
		status, info = StatusOtherError, StatusInfo(StatusOtherError)
	}
	b := make([]byte, 0, 192+len(ref))
	b = append(b, xmlHeader...)
	b = append(b, '<')
	b = append(b, root...)
	b = append(b, '>')
	if ref != "" {
		b = append(b, "<reference>"...)
		b = appendLatin1(b, ref)
		b = append(b, "</reference>"...)
	}
	b = append(b, "<status>"...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, "</status><info>"...)
	b = append(b, info...)
	b = append(b, "</info><arrivaltime>"...)
	b = now.AppendFormat(b, ArrivalTimeLayout)
	b = append(b, "</arrivaltime></"...)
	b = append(b, root...)
	b = append(b, '>')
	return b
}

// Sender returns the receiver element of a decoded message: the routing id
// the monitoring centre supplies to its transmitters [S7 receiver], which
// names the link for supervision. "" for a message of another protocol
// and for one without receiver (the source's pingrequest has none).
func Sender(m *protocols.Message) string {
	if m == nil || m.Protocol != Name {
		return ""
	}
	return m.Receiver
}
