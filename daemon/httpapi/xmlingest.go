package httpapi

import (
	"crypto/subtle"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/protocols/xmlsignal"
	"github.com/alarmrx/alarmrx/receiver"
	"go.uber.org/zap"
)

// XMLOptions configure the native XML/JSON signal endpoints.
type XMLOptions struct {
	MaxBodyBytes int
	Senders      []XMLSender
	// Submit runs a message through a listener's pipeline
	// (receiver.Receiver.Submit).
	Submit func(listener string, raw []byte, meta receiver.SubmitMeta) ([]byte, error)
	// Seen reports whether a message's idempotency key was stored.
	Seen func(r *http.Request, key string) (bool, error)
}

// XMLSender is a configured sender and the listener its messages go to.
type XMLSender struct {
	ID       string
	Passkey  string
	Listener string
}

// xmlSignals is POST /xml/v1/signals and /json/v1/signals: one AlarmMessage
// (XML or its JSON twin) per request, answered in the same form
// [automation-research.md §3.2]. The answer comes only after the signals
// are durably stored; a repeat of a stored MessageId gets code 10 and the
// original event ids.
func (a *api) xmlSignals(w http.ResponseWriter, r *http.Request) {
	x := &a.live().XML
	now := a.opts.Now()
	codec := xmlsignal.New(x.MaxBodyBytes)
	write := func(body []byte, code int, json bool) {
		if json {
			w.Header().Set("Content-Type", "application/json")
		} else {
			w.Header().Set("Content-Type", "application/xml; charset=utf-8")
		}
		if code == xmlsignal.CodeNotTreated {
			w.Header().Set("Retry-After", "30")
		}
		w.WriteHeader(xmlsignal.HTTPStatus(code))
		_, _ = w.Write(body)
	}
	// answer is our own reply, for what never reached the pipeline.
	answer := func(pm *protocols.Message, code int, why string) {
		if code != xmlsignal.CodeOK && code != xmlsignal.CodeDuplicate {
			a.xmlRejected(r, code, why)
		}
		var body []byte
		if pm == nil || pm.Detail == nil {
			// Nothing was read as a message: answer in the endpoint's form,
			// so that body and Content-Type agree.
			body = xmlsignal.AnswerNone(code, now, strings.HasPrefix(r.URL.Path, "/json/"))
		} else {
			body = xmlsignal.Answer(pm, code, now)
		}
		write(body, code, xmlsignal.IsJSON(body))
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, int64(x.MaxBodyBytes)))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			answer(nil, xmlsignal.CodeInvalidLength, "body over the limit")
			return
		}
		answer(nil, xmlsignal.CodeInvalidXML, "body unreadable")
		return
	}
	parsed, perr := xmlsignal.Parse(body)
	// The passkey: a header first, else the message's own Header/Passkey.
	key := r.Header.Get("X-Receiver-Passkey")
	if b, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && key == "" {
		key = b
	}
	if key == "" && perr == nil {
		key = parsed.Header.Passkey
	}
	sender := x.sender(key)
	if sender == nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="alarmrx-signals"`)
		answer(nil, xmlsignal.CodeNotAuthorized, "missing or unknown passkey")
		return
	}
	if perr == nil && parsed.Header.Source != sender.ID {
		answer(nil, xmlsignal.CodeNotAuthorized, "Header/Source does not match the passkey's sender")
		return
	}
	meta := receiver.SubmitMeta{Transport: "http", RemoteAddr: r.RemoteAddr}
	if perr == nil && parsed.Header.MessageID != "" {
		meta.IdempotencyKey = "xml:" + sender.ID + ":" + parsed.Header.MessageID
		seen, err := x.Seen(r, meta.IdempotencyKey)
		if err != nil {
			answer(nil, xmlsignal.CodeNotTreated, "store unavailable")
			return
		}
		if seen {
			pm, _ := codec.Decode(body, now)
			answer(pm, xmlsignal.CodeDuplicate, "")
			return
		}
	}
	// Malformed messages go through the pipeline too: it counts them and
	// keeps them as rejected evidence, attributed to their sender.
	reply, outcome := x.Submit(sender.Listener, body, meta)
	code := xmlsignal.CodeFor(outcome)
	if len(reply) == 0 {
		answer(nil, code, "no answer from the pipeline")
		return
	}
	if outcome != nil {
		a.xmlRefused.WithLabelValues(strconv.Itoa(code)).Inc() // the pipeline has logged it
	}
	write(reply, code, xmlsignal.IsJSON(reply))
}

// sender finds the sender a passkey belongs to, comparing every passkey in
// constant time.
func (x *XMLOptions) sender(key string) *XMLSender {
	if key == "" {
		return nil
	}
	var found *XMLSender
	for i := range x.Senders {
		if subtle.ConstantTimeCompare([]byte(key), []byte(x.Senders[i].Passkey)) == 1 {
			found = &x.Senders[i]
		}
	}
	return found
}

// xmlRejected counts and logs (at most one line per 10 s, with the number
// left out) a refused message. The passkey is never logged.
func (a *api) xmlRejected(r *http.Request, code int, why string) {
	a.xmlRefused.WithLabelValues(strconv.Itoa(code)).Inc()
	if ok, suppressed := a.badInputLog.Allow("xml", time.Now()); ok {
		a.log.Warn("signal message refused", zap.Int("code", code), zap.String("why", why),
			zap.String("remote_addr", r.RemoteAddr), zap.String("path", r.URL.Path), zap.Int("suppressed", suppressed))
	}
}
