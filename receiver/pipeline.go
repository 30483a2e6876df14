package receiver

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/internal/evidence"
	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/store"
	"go.uber.org/zap"
)

// frameMeta is where a frame came from.
type frameMeta struct {
	transport      string // tcp | udp | serial | http
	remoteAddr     string
	receivedAt     time.Time
	idempotencyKey string
}

// serveFrame handles one frame and records its handling time, receipt to
// reply ready.
func (l *listener) serveFrame(raw []byte, meta frameMeta) []byte {
	reply := l.handle(raw, meta)
	l.mHandling.Observe(time.Since(meta.receivedAt).Seconds())
	return reply
}

// handle runs one frame through the pipeline and returns the reply to write
// (nil for deliberate silence). It never panics on bad input: the codec is
// pure and every error is an outcome with a reply.
func (l *listener) handle(raw []byte, meta frameMeta) []byte {
	reply, _ := l.process(raw, meta)
	return reply
}

// process is handle that also returns the outcome: nil when the frame was
// stored (or was a stored frame's retransmission).
func (l *listener) process(raw []byte, meta frameMeta) ([]byte, error) {
	now := meta.receivedAt
	l.mReceived.Inc()
	msg, err := l.opts.Codec.Decode(raw, now)
	if err != nil {
		return l.reject(raw, msg, err, meta), err
	}
	return l.processDecoded(raw, msg, meta)
}

// processDecoded runs a decoded message through the rest of the pipeline:
// dedupe, resolve, classify, commit, supervision.
func (l *listener) processDecoded(raw []byte, msg *protocols.Message, meta frameMeta) ([]byte, error) {
	r := l.r
	now := meta.receivedAt
	var err error
	for _, d := range msg.Deviations {
		r.m.deviations.WithLabelValues(l.opts.Name, l.protocol, d.String()).Inc()
	}
	l.recordSeen(now)
	if l.opts.LinkOf != nil {
		if other := r.byName[l.opts.LinkOf(msg)]; other != nil && other != l {
			other.recordSeen(now)
		}
	}
	stored := l.withPrefix(msg)
	key := dedupeKey(l.opts.Receiver, stored.Account, stored)
	var entry *dedupeEntry
	for attempt := 0; key != ""; attempt++ {
		var first bool
		entry, first = r.dd.begin(key, now)
		if first {
			break
		}
		reply, outcome, notStored := l.duplicate(msg, entry, meta)
		if !notStored || attempt > 0 {
			return reply, outcome
		}
		// The first copy is known not to be stored: this copy is stored
		// in its place.
	}
	rec := l.receipt(raw, msg, meta, store.StatusAccepted, protocols.ReasonUnknown, key)
	marks := l.resolve(stored, &rec, now)
	l.classifyEvents(stored, &rec, now)
	ctx, cancel := context.WithTimeout(l.commitCtx, r.opts.CommitTimeout)
	_, err = r.opts.Sink.Commit(ctx, stored, rec)
	cancel()
	if entry != nil {
		var pending *store.PendingCommit
		if errors.As(err, &pending) {
			// The commit outlived its wait and may still land: the entry
			// stays pending, so that a retransmission waits for the outcome
			// instead of being stored a second time.
			r.settleLater(entry, pending)
		} else {
			r.dd.finish(entry, err == nil)
		}
	}
	if err == nil {
		for _, k := range marks {
			r.unknown.raised(k, now)
			l.mUnknownEvents.Inc()
		}
		l.supervisionSeen(stored, &rec, now)
	}
	if err != nil {
		// [design.md §2 rule 3] No ACK into memory: the panel retries or
		// fails over to its backup receiver.
		outcome := protocols.Reject(l.protocol, protocols.ReasonStore, err)
		r.m.framesRejected.WithLabelValues(l.opts.Name, l.protocol, protocols.ReasonStore.String()).Inc()
		l.logLimited(protocols.ReasonStore, "commit failed: answering negatively",
			zap.String("remote_addr", meta.remoteAddr), zap.String("account", msg.Account), zap.Error(err))
		return l.reply(msg, outcome, meta), outcome
	}
	for i := range msg.Events {
		c, ok := l.mSignals[msg.Events[i].Category]
		if !ok {
			c = l.mSignals[protocols.CategoryUnknown]
		}
		c.Inc()
	}
	return l.reply(msg, nil, meta), nil
}

// duplicate answers a retransmission from the first copy's outcome: ACK
// again if it was stored; negatively while its commit is still pending
// (within CommitTimeout), since it may yet land. notStored reports that the
// first copy is known not to be stored: the caller stores this one.
func (l *listener) duplicate(msg *protocols.Message, e *dedupeEntry, meta frameMeta) (reply []byte, outcome error, notStored bool) {
	timer := time.NewTimer(l.r.opts.CommitTimeout)
	defer timer.Stop()
	select {
	case <-e.done:
	case <-timer.C:
	case <-l.commitCtx.Done():
	}
	select {
	case <-e.done:
		if e.stored {
			l.r.m.duplicates.WithLabelValues(l.opts.Name).Inc()
			return l.reply(msg, nil, meta), nil, false
		}
		notStored = true
	default:
	}
	outcome = protocols.Reject(l.protocol, protocols.ReasonStore, store.ErrOutcomeUnknown)
	return l.reply(msg, outcome, meta), outcome, notStored
}

// settleLater records the outcome of a commit whose wait ended before it,
// once the writer has it. The goroutine is tracked: Run waits for it.
func (r *Receiver) settleLater(e *dedupeEntry, p *store.PendingCommit) {
	r.settling.Go(func() {
		_, err := p.Wait()
		r.dd.finish(e, err == nil)
	})
}

// reject counts and answers a frame the codec refused, and keeps it as a
// rejected frame, evidence for the station, within the evidence quota:
// refused input comes from anyone who can reach the port, so what is kept
// of it is bounded per source and per minute, and the rest only counted.
// A plain frame for an account that must encrypt also raises, once per
// account per hour, an "unencrypted" station event and trouble incident
// (as Sur-Gard receivers report "unencrypted when encryption expected");
// that row is kept whatever the quota, and only accounts with a key can
// cause it.
func (l *listener) reject(raw []byte, msg *protocols.Message, err error, meta frameMeta) []byte {
	reason := protocols.ReasonOf(err)
	l.r.m.framesRejected.WithLabelValues(l.opts.Name, l.protocol, reason.String()).Inc()
	fields := []zap.Field{zap.String("remote_addr", meta.remoteAddr), zap.Error(err), zap.String("frame", snippet(l.evidence(raw)))}
	if msg != nil {
		fields = append(fields, zap.String("account", msg.Account))
	}
	l.logLimited(reason, "frame rejected", fields...)
	stored := msg
	if msg != nil {
		stored = l.withPrefix(msg)
	}
	rec := l.receipt(raw, stored, meta, store.StatusRejected, reason, "")
	var troubleKey string
	if reason == protocols.ReasonUnencrypted && stored != nil {
		troubleKey = l.unknownKey(stored.Account)
		if l.r.unencrypted.due(troubleKey, meta.receivedAt) {
			rec.Trouble = &store.Trouble{Kind: store.EventUnencrypted, Account: stored.Account,
				Title: fmt.Sprintf("Unencrypted when encryption expected: account %s on receiver %d sent a plain frame", stored.Account, l.opts.Receiver)}
		}
	}
	if rec.Trouble != nil || l.r.opts.Evidence.Allow(evidence.Frame, meta.remoteAddr, meta.receivedAt) {
		ctx, cancel := context.WithTimeout(l.commitCtx, l.r.opts.CommitTimeout)
		_, cerr := l.r.opts.Sink.Commit(ctx, stored, rec)
		cancel()
		switch {
		case cerr != nil:
			l.logLimited(protocols.ReasonStore, "rejected frame not stored", zap.Error(cerr))
		case rec.Trouble != nil:
			l.r.unencrypted.raised(troubleKey, meta.receivedAt)
		}
	}
	return l.reply(msg, err, meta)
}

func (l *listener) reply(msg *protocols.Message, outcome error, meta frameMeta) []byte {
	b := l.opts.Codec.Reply(msg, outcome, l.r.opts.Now())
	l.mReplies[replyKind(outcome, b)].Inc()
	return b
}

// replyKind names the reply for the metric. Protocols answer unknown message
// types with DUH-like replies and everything else negative with NAK-like ones.
func replyKind(outcome error, b []byte) string {
	switch {
	case len(b) == 0:
		return replyNone
	case outcome == nil:
		return replyACK
	}
	switch protocols.ReasonOf(outcome) {
	case protocols.ReasonToken, protocols.ReasonSyntax:
		return replyDUH
	}
	return replyNAK
}

// withPrefix returns the message as it is stored: accounts trimmed and
// upper-cased, and the receiver's account prefix applied by the sender's
// rule to the transmitter account and to every event account, on every
// protocol: with add it is put in front of every number, with expect the
// number is taken as sent [automation-research.md §4.1: a rule, never
// guessed from the number]. With expect, numbers that lack the prefix are
// counted and logged (they resolve to no account: the receiver has none
// without its prefix). The codec's own message is left untouched because
// its replies must echo the account exactly as received [DC-09 §3.4].
func (l *listener) withPrefix(m *protocols.Message) *protocols.Message {
	p := l.opts.AccountPrefix
	mode := l.prefixMode(m)
	c := *m
	c.Account = prefixed(p, mode, m.Account)
	c.Events = make([]protocols.Event, len(m.Events))
	copy(c.Events, m.Events)
	missing := ""
	for i := range c.Events {
		c.Events[i].Account = prefixed(p, mode, c.Events[i].Account)
		if mode == store.PrefixExpect && store.LacksPrefix(p, c.Events[i].Account) {
			missing = c.Events[i].Account
		}
	}
	if mode == store.PrefixExpect && store.LacksPrefix(p, c.Account) {
		missing = c.Account
	}
	if missing != "" {
		l.mPrefixMissing.Inc()
		if ok, suppressed := l.r.rl.Allow(l.opts.Name+"/prefix-missing", l.r.opts.Now()); ok {
			l.log.Warn("account number sent without the receiver's prefix, which account_prefix_mode expect says its senders send: "+
				"stored as sent, it matches no account", zap.String("account", missing), zap.String("account_prefix", p),
				zap.Int("suppressed", suppressed))
		}
	}
	return &c
}

// prefixMode is the rule for one message: its sender's, else the
// listener's.
func (l *listener) prefixMode(m *protocols.Message) store.PrefixMode {
	if l.opts.PrefixModeOf != nil {
		if mode, ok := l.opts.PrefixModeOf(m); ok {
			return mode
		}
	}
	return l.opts.AccountPrefixMode
}

func prefixed(prefix string, mode store.PrefixMode, account string) string {
	return store.ApplyPrefix(prefix, mode, strings.ToUpper(strings.TrimSpace(account)))
}

// receipt describes a frame for the store; msg may be nil (a frame whose
// header could not be read).
func (l *listener) receipt(raw []byte, msg *protocols.Message, meta frameMeta, status string, reason protocols.Reason, key string) store.Receipt {
	return store.Receipt{
		Detail:     detailJSON(msg),
		ReceivedAt: meta.receivedAt,
		Receiver:   l.opts.Receiver,
		Line:       l.opts.Line,
		Listener:   l.opts.Name,
		Transport:  meta.transport,
		RemoteAddr: meta.remoteAddr,
		Protocol:   l.protocol,
		Status:     status,
		Reason:     reason,
		DedupeKey:  key,
		Raw:        l.evidence(raw),

		IdempotencyKey: meta.idempotencyKey,
	}
}

// evidence is the copy of a frame that is stored: the bytes as received,
// less any secret the codec knows to blank out.
func (l *listener) evidence(raw []byte) []byte {
	if r, ok := l.opts.Codec.(protocols.Redactor); ok {
		return append([]byte(nil), r.Redact(raw)...)
	}
	return append([]byte(nil), raw...)
}

// detailJSON renders the protocol's own decoded frame (DC-09 header,
// decrypted data and extended data blocks) for the store. Codecs keep key
// material out of it.
func detailJSON(m *protocols.Message) string {
	if m == nil || m.Detail == nil {
		return ""
	}
	if _, ok := m.Detail.(json.Marshaler); !ok {
		return ""
	}
	b, err := json.Marshal(m.Detail)
	if err != nil {
		return ""
	}
	return string(b)
}

// logLimited logs at most one line per listener and reason per interval.
func (l *listener) logLimited(reason protocols.Reason, msg string, fields ...zap.Field) {
	ok, suppressed := l.r.rl.Allow(l.opts.Name+"/"+reason.String(), l.r.opts.Now())
	if !ok {
		return
	}
	fields = append(fields, zap.String("reason", reason.String()), zap.Int("suppressed", suppressed))
	l.log.Warn(msg, fields...)
}

// snippet is a short, printable view of raw bytes for logs. Callers pass
// the evidence copy (secrets the codec knows of blanked out): a frame can
// carry a key-change block or a passkey.
func snippet(raw []byte) string {
	const n = 48
	if len(raw) > n {
		return hex.EncodeToString(raw[:n]) + "…"
	}
	return hex.EncodeToString(raw)
}
