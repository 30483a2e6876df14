package xmlsignal

import (
	"encoding/json"
	"encoding/xml"
	"strconv"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
)

// Response is the AlarmResponse.
type Response struct {
	XMLName    xml.Name         `xml:"urn:alarmrx:signal:1 AlarmResponse" json:"-"`
	MessageID  string           `xml:"MessageId,omitempty" json:"message_id,omitempty"`
	Sequence   string           `xml:"Sequence,omitempty" json:"sequence,omitempty"`
	Status     Status           `xml:"Status" json:"status"`
	Signals    []SignalResponse `xml:"Signal" json:"signals,omitempty"`
	ReceivedAt string           `xml:"ReceivedAt" json:"received_at"`
}

// Status is the message's result code and its text.
type Status struct {
	Code int    `xml:"code,attr" json:"code"`
	Text string `xml:",chardata" json:"text"`
}

// SignalResponse is one signal's outcome.
type SignalResponse struct {
	Index   int    `xml:"index,attr" json:"index"`
	Status  string `xml:"status,attr" json:"status"` // accepted, duplicate, rejected
	EventID string `xml:"eventId,attr,omitempty" json:"event_id,omitempty"`
}

// EventID names a signal for the sender: stable across retries, so a
// duplicate's answer repeats the original's ids.
func EventID(source, messageID string, index int) string {
	return source + ":" + messageID + ":" + strconv.Itoa(index)
}

// Reply encodes the AlarmResponse for an outcome, in the format the
// message came in.
func (c *Codec) Reply(m *protocols.Message, outcome error, now time.Time) []byte {
	return Answer(m, CodeFor(outcome), now)
}

// Answer encodes the AlarmResponse with a given code (the HTTP handler
// answers duplicates and authentication failures with it).
func Answer(pm *protocols.Message, code int, now time.Time) []byte {
	var m *Message
	if pm != nil {
		m, _ = pm.Detail.(*Message)
	}
	r := Response{Status: Status{Code: code, Text: codeText[code]}, ReceivedAt: now.UTC().Format(time.RFC3339Nano)}
	jsonForm := false
	if m != nil {
		jsonForm = m.jsonForm
		r.MessageID, r.Sequence = m.Header.MessageID, m.Header.Sequence
		status := "rejected"
		switch code {
		case CodeOK:
			status = "accepted"
		case CodeDuplicate:
			status = "duplicate"
		}
		for i := range m.Signals {
			sr := SignalResponse{Index: i + 1, Status: status}
			if status != "rejected" {
				sr.EventID = EventID(m.Header.Source, m.Header.MessageID, i+1)
			}
			r.Signals = append(r.Signals, sr)
		}
	}
	return encodeResponse(r, jsonForm)
}

// AnswerNone is the AlarmResponse to a request refused before it could be
// read as a message (too long, unreadable), in the form the request was
// sent to: JSON for the JSON endpoint, else XML.
func AnswerNone(code int, now time.Time, jsonForm bool) []byte {
	return encodeResponse(Response{Status: Status{Code: code, Text: codeText[code]},
		ReceivedAt: now.UTC().Format(time.RFC3339Nano)}, jsonForm)
}

func encodeResponse(r Response, jsonForm bool) []byte {
	if jsonForm {
		b, _ := json.Marshal(r)
		return append(b, '\n')
	}
	b, _ := xml.MarshalIndent(r, "", "  ")
	return append([]byte(xml.Header), append(b, '\n')...)
}

// IsJSON reports whether an answer was encoded as JSON.
func IsJSON(answer []byte) bool { return len(answer) > 0 && answer[0] == '{' }
