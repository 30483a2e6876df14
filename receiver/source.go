package receiver

import (
	"errors"
	"fmt"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
)

// SyntheticProtocol names the messages the station raises itself.
const SyntheticProtocol = "alarmrx"

// Synthetic is a message the station raises itself, such as supervision's
// communications trouble of a silent panel, its restore or a late test.
// It is resolved, classified and committed like a received one, on its
// receiver, through that receiver's own source; it is never decoded and
// gets no reply.
type Synthetic struct {
	Receiver int
	// Origin names what raised it, stored as the frame's remote address
	// ("supervision").
	Origin  string
	Raw     []byte // the stored description of it
	Message *protocols.Message
	At      time.Time
	// LogOnly stores the message's events in the history without opening
	// an incident, whatever the queue rules say of their codes (schedule
	// exceptions the station chose to log).
	LogOnly bool
}

// ErrStopped: the receiver is not running (not yet, or no longer).
var ErrStopped = errors.New("receiver: not running")

// sourceName names a receiver's source; it is stored as the listener of
// what the source raises.
func sourceName(receiver int) string { return fmt.Sprintf("internal-r%d", receiver) }

// Raise commits a synthetic message through its receiver's source and
// reports whether it was stored. Its accounts are stored numbers: no
// prefix rule applies to them.
func (r *Receiver) Raise(s Synthetic) error {
	p := r.source(s.Receiver)
	if p == nil {
		return fmt.Errorf("%w: receiver %d", ErrNoListener, s.Receiver)
	}
	if r.commits.Load() == nil { // Run has not begun
		return ErrStopped
	}
	// Tracked with what outlives the sessions: a restore that a frame
	// committed during the shutdown grace ended is still raised.
	err := ErrStopped
	ran, panicked := r.after.Do("synthetic message", func() {
		_, err = p.processDecoded(s.Raw, s.Message, frameMeta{transport: "internal", remoteAddr: s.Origin, receivedAt: s.At, logOnly: s.LogOnly})
	})
	if ran && panicked {
		err = errInternal
	}
	return err
}
