package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
)

// A journal entry is written for every acknowledged frame and read back
// once, by the projection: its encoding is a compact binary one of the
// store's own, a version byte then the fields in a fixed order (strings
// and byte slices as a uvarint length and the bytes, integers as varints,
// times as Unix nanoseconds with 0 for the zero time). It is not a format
// anything else reads: an entry outlives one run of the projection only
// when a crash comes between its commit and its projection, and a build
// that changes the encoding changes journalVersion and still reads the
// one before it.
const journalVersion = 1

var errJournalEntry = errors.New("store: journal entry: malformed")

// entryWriter appends an entry's fields.
type entryWriter struct{ b []byte }

func (w *entryWriter) str(s string) {
	w.b = binary.AppendUvarint(w.b, uint64(len(s)))
	w.b = append(w.b, s...)
}

func (w *entryWriter) bytes(p []byte) {
	w.b = binary.AppendUvarint(w.b, uint64(len(p)))
	w.b = append(w.b, p...)
}

func (w *entryWriter) int(n int64) { w.b = binary.AppendVarint(w.b, n) }

func (w *entryWriter) bool(v bool) {
	if v {
		w.b = append(w.b, 1)
	} else {
		w.b = append(w.b, 0)
	}
}

func (w *entryWriter) time(t time.Time) {
	if t.IsZero() {
		w.int(0)
		return
	}
	w.int(t.UnixNano())
}

// encodeEntry encodes a frame's journal entry; buf is reused.
func encodeEntry(buf []byte, m *protocols.Message, rec *Receipt) []byte {
	w := entryWriter{b: append(buf[:0], journalVersion)}
	for _, s := range []string{m.Protocol, m.Kind, m.Account, m.Receiver, m.Line, m.Sequence} {
		w.str(s)
	}
	w.bool(m.Encrypted)
	w.time(m.Timestamp)
	w.int(int64(len(m.Events)))
	for i := range m.Events {
		e := &m.Events[i]
		for _, s := range []string{e.Format, e.Account, e.Code, e.Partition, e.Address, e.Zone, e.User, e.Text, e.Description} {
			w.str(s)
		}
		w.int(int64(e.Qualifier))
		w.int(int64(e.AddressKind))
		w.int(int64(e.Category))
		w.bool(e.Known)
		w.time(e.PanelTime)
		w.int(int64(len(e.Modifiers)))
		for _, mod := range e.Modifiers {
			w.str(mod.Name)
			w.str(mod.Value)
		}
	}
	w.int(int64(len(m.Deviations)))
	for _, d := range m.Deviations {
		w.int(int64(d))
	}
	w.time(rec.ReceivedAt)
	w.int(int64(rec.Receiver))
	w.int(int64(rec.Line))
	for _, s := range []string{rec.Listener, rec.Transport, rec.RemoteAddr, rec.Protocol, rec.Status} {
		w.str(s)
	}
	w.int(int64(rec.Reason))
	w.str(rec.DedupeKey)
	w.str(rec.Detail)
	w.bytes(rec.Raw)
	w.int(int64(len(rec.Resolutions)))
	for _, r := range rec.Resolutions {
		w.int(r.AccountID)
		w.int(r.SiteID)
		w.int(r.OnTestID)
		w.str(r.Zone)
		w.str(r.SystemType)
	}
	w.int(int64(len(rec.UnknownAccounts)))
	for _, a := range rec.UnknownAccounts {
		w.str(a)
	}
	w.int(int64(rec.UnknownPriority))
	w.int(int64(len(rec.Handling)))
	for _, h := range rec.Handling {
		w.str(h.Mode)
		w.int(int64(h.Priority))
		w.bool(h.Runaway)
		w.str(h.RunawayDetail)
	}
	w.str(rec.IdempotencyKey)
	w.bool(rec.Trouble != nil)
	if rec.Trouble != nil {
		w.str(rec.Trouble.Kind)
		w.str(rec.Trouble.Account)
		w.str(rec.Trouble.Title)
	}
	return w.b
}

// entryReader reads an entry's fields; the first malformed field sets err
// and every read after it gives zero values.
type entryReader struct {
	b   []byte
	err error
}

func (r *entryReader) fail() {
	if r.err == nil {
		r.err = errJournalEntry
	}
	r.b = nil
}

// int reads a varint, in its shortest form only: an entry has one
// encoding.
func (r *entryReader) int() int64 {
	n, k := binary.Varint(r.b)
	if k <= 0 || !shortest(r.b[:k]) {
		r.fail()
		return 0
	}
	r.b = r.b[k:]
	return n
}

// count reads a length or a number of items, at most what the rest of the
// entry could hold, so that a damaged entry cannot make a large slice.
func (r *entryReader) count() int {
	n := r.int()
	if n < 0 || n > int64(len(r.b)) {
		r.fail()
		return 0
	}
	return int(n)
}

func (r *entryReader) bytes() []byte {
	n, k := binary.Uvarint(r.b)
	if k <= 0 || n > uint64(len(r.b)-k) || !shortest(r.b[:k]) {
		r.fail()
		return nil
	}
	p := r.b[k : k+int(n)]
	r.b = r.b[k+int(n):]
	return p
}

func (r *entryReader) str() string { return string(r.bytes()) }

// shortest reports whether the varint v (zigzag or not: the same bytes)
// is in its shortest form: one byte, or a last 7-bit group that is not 0.
func shortest(v []byte) bool { return len(v) == 1 || v[len(v)-1] != 0 }

func (r *entryReader) bool() bool {
	if len(r.b) == 0 || r.b[0] > 1 {
		r.fail()
		return false
	}
	v := r.b[0] == 1
	r.b = r.b[1:]
	return v
}

func (r *entryReader) time() time.Time {
	n := r.int()
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

func (r *entryReader) small() uint8 {
	n := r.int()
	if n < 0 || n > 255 {
		r.fail()
		return 0
	}
	return uint8(n)
}

// decodeEntry decodes an entry encodeEntry wrote; times come back in UTC.
func decodeEntry(b []byte) (*protocols.Message, *Receipt, error) {
	if len(b) == 0 || b[0] != journalVersion {
		return nil, nil, fmt.Errorf("%w (version)", errJournalEntry)
	}
	r := entryReader{b: b[1:]}
	m := &protocols.Message{Protocol: r.str(), Kind: r.str(), Account: r.str(), Receiver: r.str(), Line: r.str(), Sequence: r.str()}
	m.Encrypted = r.bool()
	m.Timestamp = r.time()
	if n := r.count(); n > 0 {
		m.Events = make([]protocols.Event, n)
		for i := range m.Events {
			e := &m.Events[i]
			e.Format, e.Account, e.Code, e.Partition, e.Address = r.str(), r.str(), r.str(), r.str(), r.str()
			e.Zone, e.User, e.Text, e.Description = r.str(), r.str(), r.str(), r.str()
			e.Qualifier = protocols.Qualifier(r.small())
			e.AddressKind = protocols.AddressKind(r.small())
			e.Category = protocols.Category(r.small())
			e.Known = r.bool()
			e.PanelTime = r.time()
			if k := r.count(); k > 0 {
				e.Modifiers = make([]protocols.Modifier, k)
				for j := range e.Modifiers {
					e.Modifiers[j] = protocols.Modifier{Name: r.str(), Value: r.str()}
				}
			}
		}
	}
	if n := r.count(); n > 0 {
		m.Deviations = make([]protocols.Reason, n)
		for i := range m.Deviations {
			m.Deviations[i] = protocols.Reason(r.small())
		}
	}
	rec := &Receipt{ReceivedAt: r.time(), Receiver: int(r.int()), Line: int(r.int())}
	rec.Listener, rec.Transport, rec.RemoteAddr, rec.Protocol, rec.Status = r.str(), r.str(), r.str(), r.str(), r.str()
	rec.Reason = protocols.Reason(r.small())
	rec.DedupeKey, rec.Detail = r.str(), r.str()
	raw := r.bytes()
	rec.Raw = append(make([]byte, 0, len(raw)), raw...) // never nil: frames.raw is NOT NULL
	if n := r.count(); n > 0 {
		rec.Resolutions = make([]Resolution, n)
		for i := range rec.Resolutions {
			rec.Resolutions[i] = Resolution{AccountID: r.int(), SiteID: r.int(), OnTestID: r.int(), Zone: r.str(), SystemType: r.str()}
		}
	}
	if n := r.count(); n > 0 {
		rec.UnknownAccounts = make([]string, n)
		for i := range rec.UnknownAccounts {
			rec.UnknownAccounts[i] = r.str()
		}
	}
	rec.UnknownPriority = int(r.int())
	if n := r.count(); n > 0 {
		rec.Handling = make([]Handling, n)
		for i := range rec.Handling {
			rec.Handling[i] = Handling{Mode: r.str(), Priority: int(r.int()), Runaway: r.bool(), RunawayDetail: r.str()}
		}
	}
	rec.IdempotencyKey = r.str()
	if r.bool() {
		rec.Trouble = &Trouble{Kind: r.str(), Account: r.str(), Title: r.str()}
	}
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("%w (%d bytes left over)", errJournalEntry, len(r.b))
	}
	if r.err != nil {
		return nil, nil, r.err
	}
	return m, rec, nil
}
