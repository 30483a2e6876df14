package receiver

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/alarmrx/alarmrx/internal/evidence"
	"github.com/alarmrx/alarmrx/protocols"
	"github.com/alarmrx/alarmrx/store"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// frameMeta is where a frame came from.
type frameMeta struct {
	transport      string // tcp | udp | serial | http
	remoteAddr     string
	receivedAt     time.Time
	idempotencyKey string
	// logOnly: a synthetic message the station logs rather than queues
	// (Synthetic.LogOnly).
	logOnly bool
}

// pipeline is one way into the store: a listener's, or the receiver's own
// source of the events it raises itself. It holds what every frame of it
// shares (codec, receiver and line, prefix rule, metric handles resolved
// once: an accepted frame's way to its ACK does no label lookups; rarer
// outcomes, such as a deviation, a duplicate or a refusal, look theirs up)
// and runs the stages
//
//	decode → dedupe → resolve → classify → commit → reply
//
// then, after the commit, the effects that are not the frame's own
// (check-ins, link changes), which never delay the reply and never re-enter
// a pipeline.
type pipeline struct {
	r        *Receiver
	opts     ListenerOptions
	protocol string
	log      *zap.Logger
	link     *linkWatch // nil when the link is not supervised
	// synthetic pipelines carry the receiver's own events: nothing is
	// decoded and nothing checks an account in.
	synthetic bool

	mReceived      prometheus.Counter
	mHandling      prometheus.Observer
	mReplies       map[string]prometheus.Counter             // by reply kind
	mSignals       map[protocols.Category]prometheus.Counter // by event category
	mResolved      map[string]prometheus.Counter             // by resolution result
	mUnknownEvents prometheus.Counter
	mPolls         [2]prometheus.Counter // by account: unknown, known
	mPrefixMissing prometheus.Counter    // expect mode: numbers sent without the prefix
}

func (r *Receiver) newPipeline(lo ListenerOptions, protocol string) *pipeline {
	return r.pipelineWith(lo, protocol, nil)
}

// pipelineWith builds a listener's pipeline around link, the supervised
// link of the pipeline it replaces (a reload keeps its state); nil starts
// a new one when the listener is supervised.
func (r *Receiver) pipelineWith(lo ListenerOptions, protocol string, link *linkWatch) *pipeline {
	p := &pipeline{r: r, opts: lo, protocol: protocol, link: link,
		log: r.log.With(zap.String("listener", lo.Name), zap.String("protocol", protocol))}
	r.m.initListener(lo.Name, protocol)
	if lo.HeartbeatTimeout > 0 && link == nil {
		// Start as up with the start time as the last record: the link
		// gets one full timeout of grace after start-up.
		p.link = &linkWatch{timeout: lo.HeartbeatTimeout, last: r.opts.Now(), up: true}
		r.m.linkUp.WithLabelValues(lo.Name).Set(1)
		r.m.linkFailures.WithLabelValues(lo.Name)
	}
	p.mReceived = r.m.framesReceived.WithLabelValues(lo.Name, protocol)
	p.mHandling = r.m.handlingSeconds.WithLabelValues(protocol)
	p.mReplies = make(map[string]prometheus.Counter)
	for _, k := range []string{replyACK, replyNAK, replyDUH, replyNone} {
		p.mReplies[k] = r.m.replies.WithLabelValues(protocol, k)
	}
	p.mResolved = make(map[string]prometheus.Counter)
	for _, k := range []string{resolvedKnown, resolvedUnknown, resolvedTest} {
		p.mResolved[k] = r.m.resolved.WithLabelValues(lo.Name, k)
	}
	p.mUnknownEvents = r.m.unknownEvents.WithLabelValues(lo.Name)
	p.mPolls = [2]prometheus.Counter{r.m.polls.WithLabelValues(lo.Name, pollUnknown),
		r.m.polls.WithLabelValues(lo.Name, pollKnown)}
	p.mPrefixMissing = r.m.prefixMissing.WithLabelValues(lo.Name)
	p.mSignals = make(map[protocols.Category]prometheus.Counter)
	for _, c := range protocols.Categories() {
		p.mSignals[c] = r.m.signals.WithLabelValues(protocol, c.String())
	}
	return p
}

// serveFrame handles one frame and records its handling time, receipt to
// reply ready. It returns the reply to write (nil for deliberate silence).
// It never panics on bad input: the codec is pure and every error is an
// outcome with a reply.
func (p *pipeline) serveFrame(raw []byte, meta frameMeta) []byte {
	reply, _ := p.process(raw, meta)
	p.mHandling.Observe(time.Since(meta.receivedAt).Seconds())
	return reply
}

// process runs one frame through every stage and returns its reply and
// outcome: nil when the frame was stored (or was a stored frame's
// retransmission).
func (p *pipeline) process(raw []byte, meta frameMeta) ([]byte, error) {
	p.mReceived.Inc()
	msg, err := p.opts.Codec.Decode(raw, meta.receivedAt)
	if err != nil {
		return p.reject(raw, msg, err, meta), err
	}
	return p.processDecoded(raw, msg, meta)
}

// frame is one decoded frame on its way through the stages.
type frame struct {
	msg  *protocols.Message // as decoded: replies echo it
	meta frameMeta
	// stored is the message as it is stored: accounts with the receiver's
	// prefix applied.
	stored *protocols.Message
	key    string       // dedupe key; "" when the frame has none
	entry  *dedupeEntry // this frame's dedupe entry while it commits
	rec    store.Receipt
	marks  []string // unknown-account limiter keys to mark once stored
}

// processDecoded runs the stages after decode.
func (p *pipeline) processDecoded(raw []byte, msg *protocols.Message, meta frameMeta) ([]byte, error) {
	p.observe(msg, meta.receivedAt)
	f := &frame{msg: msg, meta: meta, stored: p.withPrefix(msg)}
	p.addMonitoringLinks(f.stored, msg)
	if len(msg.Events) == 0 && !p.synthetic {
		return p.poll(raw, f)
	}
	if reply, outcome, answered := p.dedupe(f); answered {
		return reply, outcome
	}
	// A frame that claimed its dedupe entry and never reached the commit
	// (a panic in a stage, recovered by the routine group) must not leave
	// the entry pending: its retransmissions would be refused for the
	// whole dedupe window.
	defer func() {
		if f.entry != nil {
			p.r.dd.finish(f.entry, false)
		}
	}()
	f.rec = p.receipt(raw, msg, meta, store.StatusAccepted, protocols.ReasonUnknown, f.key)
	f.marks = p.resolve(f.stored, &f.rec, meta.receivedAt)
	p.classifyEvents(f.stored, &f.rec, meta.logOnly)
	err := p.commit(f)
	if errors.Is(err, store.ErrDuplicate) {
		// Stored already, by this node or another one the panel reached
		// before a failover: answered as the copy this node remembers
		// would be.
		p.r.m.duplicates.WithLabelValues(p.opts.Name).Inc()
		return p.reply(msg, nil, meta), nil
	}
	if err != nil {
		// [design.md §2 rule 3] No ACK into memory: the panel retries or
		// fails over to its backup receiver.
		outcome := protocols.Reject(p.protocol, protocols.ReasonStore, err)
		p.r.m.framesRejected.WithLabelValues(p.opts.Name, p.protocol, protocols.ReasonStore.String()).Inc()
		p.logLimited(protocols.ReasonStore, "commit failed: answering negatively",
			zap.String("remote_addr", meta.remoteAddr), zap.String("account", msg.Account), zap.Error(err))
		return p.reply(msg, outcome, meta), outcome
	}
	p.afterCommit(f)
	return p.reply(msg, nil, meta), nil
}

// The closed "account" label set of alarmrx_polls_total.
const (
	pollKnown   = "known"
	pollUnknown = "unknown"
)

// poll answers a valid message that carries no event (a DC-09 NULL, a link
// test, a heartbeat) without a commit of its own [design.md §2 rule 5]:
// it checks its account in, its evidence is kept coalesced per account,
// and it is acknowledged. Nothing of it needs to be durable before the
// ACK: supervision gives every account a full interval after a restart,
// so a check-in lost in a crash cannot cause a missed failure or a false
// restore. A retransmitted poll is simply answered again, so polls skip
// the dedupe stage. While the store is unhealthy a poll is answered
// negatively like an alarm, so that the panel fails over.
func (p *pipeline) poll(raw []byte, f *frame) ([]byte, error) {
	m, now := f.stored, f.meta.receivedAt
	var res store.Resolution
	if m.Account != "" && p.r.opts.Resolver != nil {
		res = p.r.opts.Resolver.Resolve(p.opts.Receiver, m.Account, nil, now)
	}
	known := 0
	if res.Known() {
		known = 1
	}
	if rec := p.r.opts.Polls; rec != nil {
		err := rec.RecordPoll(store.Poll{Receiver: p.opts.Receiver, Account: m.Account, AccountID: res.AccountID,
			Listener: p.opts.Name, At: now, Transport: f.meta.transport, RemoteAddr: f.meta.remoteAddr,
			Protocol: p.protocol, Kind: m.Kind, Raw: p.redacted(raw)})
		if err != nil {
			outcome := protocols.Reject(p.protocol, protocols.ReasonStore, err)
			p.r.m.framesRejected.WithLabelValues(p.opts.Name, p.protocol, protocols.ReasonStore.String()).Inc()
			p.logLimited(protocols.ReasonStore, "store unavailable: answering a poll negatively",
				zap.String("remote_addr", f.meta.remoteAddr), zap.String("account", f.msg.Account), zap.Error(err))
			return p.reply(f.msg, outcome, f.meta), outcome
		}
	}
	p.mPolls[known].Inc()
	if ci := p.r.opts.CheckIns; ci != nil && res.Known() {
		ci.CheckIn(CheckIn{AccountID: res.AccountID, Receiver: p.opts.Receiver, Number: m.Account, At: now})
	}
	return p.reply(f.msg, nil, f.meta), nil
}

// observe is the first stage after decode: deviations are counted, and a
// valid record proves its supervised link (its own, or its sender's on a
// shared listener) whatever becomes of the frame.
func (p *pipeline) observe(msg *protocols.Message, now time.Time) {
	for _, d := range msg.Deviations {
		p.r.m.deviations.WithLabelValues(p.opts.Name, p.protocol, d.String()).Inc()
	}
	p.linkSeen(now)
	if p.opts.LinkOf != nil {
		if other := p.r.byName(p.opts.LinkOf(msg)); other != nil && other != p {
			other.linkSeen(now)
		}
	}
}

// dedupe claims the frame's dedupe entry. A retransmission of a stored
// frame is answered from the first copy's outcome (answered true); a
// retransmission of a copy known not to be stored is stored in its place.
func (p *pipeline) dedupe(f *frame) (reply []byte, outcome error, answered bool) {
	f.key = dedupeKey(p.opts.Receiver, f.stored.Account, f.stored)
	for attempt := 0; f.key != ""; attempt++ {
		entry, first := p.r.dd.begin(f.key, f.meta.receivedAt)
		if first {
			f.entry = entry
			return nil, nil, false
		}
		reply, outcome, notStored := p.duplicate(f.msg, entry, f.meta)
		if !notStored || attempt > 0 {
			return reply, outcome, true
		}
	}
	return nil, nil, false
}

// commit stores the frame durably and settles its dedupe entry.
func (p *pipeline) commit(f *frame) error {
	ctx, cancel := context.WithTimeout(p.r.commitCtx(), p.r.opts.CommitTimeout)
	_, err := p.r.opts.Sink.Commit(ctx, f.stored, f.rec)
	cancel()
	if f.entry != nil {
		var pending *store.PendingCommit
		if errors.As(err, &pending) {
			// The commit outlived its wait and may still land: the entry
			// stays pending, so that a retransmission waits for the outcome
			// instead of being stored a second time.
			p.r.settleLater(f.entry, pending)
		} else {
			p.r.dd.finish(f.entry, err == nil || errors.Is(err, store.ErrDuplicate))
		}
		f.entry = nil // settled, or left to settleLater
	}
	return err
}

// afterCommit runs what a stored frame causes beyond itself, in memory
// only: the unknown accounts it raised are marked, the accounts it proves
// alive check in (a restore they end is raised by supervision on its own
// goroutine), and its signals are counted.
func (p *pipeline) afterCommit(f *frame) {
	now := f.meta.receivedAt
	for _, k := range f.marks {
		p.r.unknown.raised(k, now)
		p.mUnknownEvents.Inc()
	}
	p.checkIn(f.stored, &f.rec, now)
	for i := range f.stored.Events { // as stored: classify may have given a system's category
		c, ok := p.mSignals[f.stored.Events[i].Category]
		if !ok {
			c = p.mSignals[protocols.CategoryUnknown]
		}
		c.Inc()
	}
}

// checkIn tells supervision of the accounts a stored message proves alive.
// Only messages that decoded (and so authenticated) get here
// [protocols.md §5.2 step 2].
func (p *pipeline) checkIn(m *protocols.Message, rec *store.Receipt, now time.Time) {
	ci := p.r.opts.CheckIns
	if ci == nil || p.synthetic {
		return
	}
	var done []int64 // a frame names one account, rarely a few: no map
	for i, res := range rec.Resolutions {
		if res.AccountID == 0 || slices.Contains(done, res.AccountID) {
			continue
		}
		done = append(done, res.AccountID)
		ci.CheckIn(CheckIn{AccountID: res.AccountID, Receiver: p.opts.Receiver, Number: accountOf(m, i), At: now,
			Test: i < len(m.Events) && m.Events[i].Category == protocols.CategoryTest})
	}
}

func accountOf(m *protocols.Message, i int) string {
	if i < len(m.Events) && m.Events[i].Account != "" {
		return m.Events[i].Account
	}
	return m.Account
}

// duplicate answers a retransmission from the first copy's outcome: ACK
// again if it was stored; negatively while its commit is still pending
// (within CommitTimeout), since it may yet land. notStored reports that the
// first copy is known not to be stored: the caller stores this one.
func (p *pipeline) duplicate(msg *protocols.Message, e *dedupeEntry, meta frameMeta) (reply []byte, outcome error, notStored bool) {
	timer := time.NewTimer(p.r.opts.CommitTimeout)
	defer timer.Stop()
	select {
	case <-e.done:
	case <-timer.C:
	case <-p.r.commitCtx().Done():
	}
	select {
	case <-e.done:
		if e.stored {
			p.r.m.duplicates.WithLabelValues(p.opts.Name).Inc()
			return p.reply(msg, nil, meta), nil, false
		}
		notStored = true
	default:
	}
	outcome = protocols.Reject(p.protocol, protocols.ReasonStore, store.ErrOutcomeUnknown)
	return p.reply(msg, outcome, meta), outcome, notStored
}

// settleLater records the outcome of a commit whose wait ended before it,
// once the writer has it. The goroutine is tracked: Run waits for it.
func (r *Receiver) settleLater(e *dedupeEntry, p *store.PendingCommit) {
	if !r.after.Go("settle", func() {
		_, err := p.Wait()
		r.dd.finish(e, err == nil)
	}) {
		// Shutting down: nobody will wait for the outcome, and the
		// entry must not stay pending for good.
		r.dd.finish(e, false)
	}
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
func (p *pipeline) reject(raw []byte, msg *protocols.Message, err error, meta frameMeta) []byte {
	reason := protocols.ReasonOf(err)
	p.r.m.framesRejected.WithLabelValues(p.opts.Name, p.protocol, reason.String()).Inc()
	fields := []zap.Field{zap.String("remote_addr", meta.remoteAddr), zap.Error(err), zap.String("frame", snippet(p.evidence(raw)))}
	if msg != nil {
		fields = append(fields, zap.String("account", msg.Account))
	}
	p.logLimited(reason, "frame rejected", fields...)
	stored := msg
	if msg != nil {
		stored = p.withPrefix(msg)
	}
	rec := p.receipt(raw, stored, meta, store.StatusRejected, reason, "")
	var troubleKey string
	if reason == protocols.ReasonUnencrypted && stored != nil {
		troubleKey = p.unknownKey(stored.Account)
		if p.r.unencrypted.due(troubleKey, meta.receivedAt) {
			rec.Trouble = &store.Trouble{Kind: store.EventUnencrypted, Account: stored.Account,
				Title: fmt.Sprintf("Unencrypted when encryption expected: account %s on receiver %d sent a plain frame", stored.Account, p.opts.Receiver)}
		}
	}
	if rec.Trouble != nil || p.r.opts.Evidence.Allow(evidence.Frame, meta.remoteAddr, meta.receivedAt) {
		ctx, cancel := context.WithTimeout(p.r.commitCtx(), p.r.opts.CommitTimeout)
		_, cerr := p.r.opts.Sink.Commit(ctx, stored, rec)
		cancel()
		switch {
		case cerr != nil:
			p.logLimited(protocols.ReasonStore, "rejected frame not stored", zap.Error(cerr))
		case rec.Trouble != nil:
			p.r.unencrypted.raised(troubleKey, meta.receivedAt)
		}
	}
	return p.reply(msg, err, meta)
}

// reply is the last stage: the codec's answer to the outcome. A synthetic
// message has no sender to answer.
func (p *pipeline) reply(msg *protocols.Message, outcome error, meta frameMeta) []byte {
	var b []byte
	if !p.synthetic {
		b = p.opts.Codec.Reply(msg, outcome, p.r.opts.Now())
	}
	p.mReplies[replyKind(outcome, b)].Inc()
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
func (p *pipeline) withPrefix(m *protocols.Message) *protocols.Message {
	prefix := p.opts.AccountPrefix
	mode := p.prefixMode(m)
	c := *m
	c.Account = prefixed(prefix, mode, m.Account)
	c.Events = make([]protocols.Event, len(m.Events))
	copy(c.Events, m.Events)
	missing := ""
	for i := range c.Events {
		c.Events[i].Account = prefixed(prefix, mode, c.Events[i].Account)
		if mode == store.PrefixExpect && store.LacksPrefix(prefix, c.Events[i].Account) {
			missing = c.Events[i].Account
		}
	}
	if mode == store.PrefixExpect && store.LacksPrefix(prefix, c.Account) {
		missing = c.Account
	}
	if missing != "" {
		p.mPrefixMissing.Inc()
		if ok, suppressed := p.r.rl.Allow(p.opts.Name+"/prefix-missing", p.r.opts.Now()); ok {
			p.log.Warn("account number sent without the receiver's prefix, which account_prefix_mode expect says its senders send: "+
				"stored as sent, it matches no account", zap.String("account", missing), zap.String("account_prefix", prefix),
				zap.Int("suppressed", suppressed))
		}
	}
	return &c
}

// addMonitoringLinks gives each event of m (the stored copy of sent) that
// carries no media link the listener's monitoring_url, as its
// media_portal link: the cloud's page for the account and zone.
func (p *pipeline) addMonitoringLinks(m, sent *protocols.Message) {
	tmpl := p.opts.MonitoringURL
	if tmpl == "" {
		return
	}
	for i := range m.Events {
		ev := &m.Events[i]
		if slices.ContainsFunc(ev.Modifiers, func(md protocols.Modifier) bool { return strings.HasPrefix(md.Name, "media_") }) {
			continue
		}
		account := sent.Account
		if i < len(sent.Events) && sent.Events[i].Account != "" {
			account = sent.Events[i].Account
		}
		link := strings.NewReplacer("{account}", url.QueryEscape(ev.Account), "{account_sent}", url.QueryEscape(account),
			"{zone}", url.QueryEscape(ev.Zone), "{area}", url.QueryEscape(ev.Partition)).Replace(tmpl)
		// A copy: the decoded message's modifiers stay as they came.
		ev.Modifiers = append(slices.Clip(ev.Modifiers), protocols.Modifier{Name: "media_portal", Value: link})
	}
}

// prefixMode is the rule for one message: its sender's, else the
// listener's.
func (p *pipeline) prefixMode(m *protocols.Message) store.PrefixMode {
	if p.opts.PrefixModeOf != nil {
		if mode, ok := p.opts.PrefixModeOf(m); ok {
			return mode
		}
	}
	return p.opts.AccountPrefixMode
}

func prefixed(prefix string, mode store.PrefixMode, account string) string {
	return store.ApplyPrefix(prefix, mode, strings.ToUpper(strings.TrimSpace(account)))
}

// receipt describes a frame for the store; msg may be nil (a frame whose
// header could not be read).
func (p *pipeline) receipt(raw []byte, msg *protocols.Message, meta frameMeta, status string, reason protocols.Reason, key string) store.Receipt {
	stored := p.evidence(raw)
	detail := ""
	if !p.detailRebuilt(msg, status, raw, stored) {
		detail = detailJSON(msg)
	}
	return store.Receipt{
		Detail:     detail,
		ReceivedAt: meta.receivedAt,
		Receiver:   p.opts.Receiver,
		Line:       p.opts.Line,
		Listener:   p.opts.Name,
		Transport:  meta.transport,
		RemoteAddr: meta.remoteAddr,
		Protocol:   p.protocol,
		Status:     status,
		Reason:     reason,
		DedupeKey:  key,
		Raw:        stored,

		IdempotencyKey: meta.idempotencyKey,
	}
}

// detailRebuilt reports whether the store rebuilds msg's detail from the
// stored bytes on read (protocols.DetailRebuilder), so that the frame is
// stored without it: an accepted frame that arrived in the clear and was
// stored as received. A plain DC-09 frame's detail is its header again,
// about a quarter of what a signal costs on disk.
func (p *pipeline) detailRebuilt(msg *protocols.Message, status string, raw, stored []byte) bool {
	if _, ok := p.opts.Codec.(protocols.DetailRebuilder); !ok {
		return false
	}
	return msg != nil && !msg.Encrypted && status == store.StatusAccepted && bytes.Equal(raw, stored)
}

// evidence is the copy of a frame that is stored: the bytes as received,
// less any secret the codec knows to blank out.
func (p *pipeline) evidence(raw []byte) []byte {
	return append([]byte(nil), p.redacted(raw)...)
}

// redacted is raw less any secret the codec knows to blank out; it may be
// raw itself, valid only while raw is.
func (p *pipeline) redacted(raw []byte) []byte {
	if r, ok := p.opts.Codec.(protocols.Redactor); ok {
		return r.Redact(raw)
	}
	return raw
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
func (p *pipeline) logLimited(reason protocols.Reason, msg string, fields ...zap.Field) {
	ok, suppressed := p.r.rl.Allow(p.opts.Name+"/"+reason.String(), p.r.opts.Now())
	if !ok {
		return
	}
	fields = append(fields, zap.String("reason", reason.String()), zap.Int("suppressed", suppressed))
	p.log.Warn(msg, fields...)
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
