package receiver

import (
	"errors"
	"io"
	"os"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"go.uber.org/zap"
)

// conn is what a session needs of its transport: a byte stream with
// deadlines (miekg/dns's Conn). A TCP connection is one as it is; a UDP
// datagram and a serial port have adapters (udp.go, serial.go).
type conn interface {
	Read(p []byte) (int, error)
	Write(p []byte) (int, error)
	SetReadDeadline(t time.Time) error
	SetWriteDeadline(t time.Time) error
}

// overlong is what a session does with a stream that outgrew
// MaxFrameBytes without a frame.
type overlong int

const (
	// overlongClose answers (where the protocol has a refusal for it) and
	// closes: a TCP sender reconnects and starts clean.
	overlongClose overlong = iota
	// overlongResync drops the buffered bytes and reads on: a serial line
	// cannot be reconnected, and the next record starts clean.
	overlongResync
)

// session is one sender's stream through a pipeline: read, frame, handle
// each frame in order, write its reply. Read deadlines bound each wait: the
// first frame must come within firstRead, later ones within idle (zero: no
// bound, for a serial line that may be quiet for days). Only a whole frame
// earns more time: a sender trickling bytes that never complete one
// (slowloris) is cut off.
type session struct {
	p         *pipeline
	c         conn
	transport string // tcp | udp | serial: the frame's stored transport
	remote    string
	firstRead time.Duration
	idle      time.Duration
	maxFrame  int
	overlong  overlong
	readSize  int
	// whole, when set, is everything the session will read (a datagram,
	// read off its socket already): it is fed as one read, then the stream
	// ends as at EOF, without a read buffer or a copy.
	whole []byte
	// receivedAt, when set, is the receipt time of everything the session
	// reads (a datagram read off its socket earlier); else each read is
	// stamped as it returns.
	receivedAt time.Time
	// stopping reports that shutdown began: the session finishes the frame
	// it holds (commit and reply) and ends.
	stopping func() bool
	// current, when set, returns the listener's pipeline in force, which
	// a reload may have replaced since the session began (p).
	current func() *pipeline
}

// pipeline is the pipeline the session's next frame goes through.
func (s *session) pipeline() *pipeline {
	if s.current != nil {
		return s.current()
	}
	return s.p
}

// sessionEnd says why a session ended, the closed "cause" label set of
// alarmrx_connections_closed_total: shutdown, idle, eof, too_long, error.
type sessionEnd struct {
	cause  string
	served bool  // at least one frame was handled
	err    error // the read or write error behind cause "error"
	write  bool  // err came from writing a reply
}

// serve runs the session until the stream ends, fails or shutdown begins.
func (s *session) serve() sessionEnd {
	p := s.p
	f := newFramer(p.opts.Codec, s.maxFrame)
	var buf []byte
	if s.whole == nil {
		buf = make([]byte, s.readSize)
	}
	var end sessionEnd
	var deadline time.Time
	if s.firstRead > 0 {
		deadline = time.Now().Add(s.firstRead)
	}
	for {
		if s.stopping() {
			end.cause = "shutdown"
			return end
		}
		if err := s.c.SetReadDeadline(deadline); err != nil {
			end.cause, end.err = "error", err
			return end
		}
		// Shutdown wakes readers by moving their deadline into the past;
		// one that set its own deadline just after must not sleep on.
		if s.stopping() {
			end.cause = "shutdown"
			return end
		}
		var data []byte
		var err error
		if s.whole != nil {
			data, err, s.whole = s.whole, io.EOF, nil
		} else {
			var n int
			n, err = s.c.Read(buf)
			data = buf[:n]
		}
		if len(data) > 0 {
			received := s.receivedAt
			if received.IsZero() {
				received = p.r.opts.Now()
			}
			ferr := f.feed(data, func(frame []byte) error {
				end.served = true
				if s.idle > 0 {
					deadline = time.Now().Add(s.idle)
				}
				// Each frame goes through the listener's pipeline in force:
				// a reload's new keys apply to the next frame of a
				// connection opened before it.
				fp := s.pipeline()
				reply := fp.serveFrame(frame, frameMeta{transport: s.transport, remoteAddr: s.remote, receivedAt: received})
				if len(reply) == 0 {
					return nil
				}
				if err := s.c.SetWriteDeadline(time.Now().Add(fp.opts.WriteTimeout)); err != nil {
					return err
				}
				_, err := s.c.Write(reply)
				return err
			}, func(skipped int) { p.garbage(skipped, s.remote) })
			switch {
			case errors.Is(ferr, protocols.ErrFrameTooLong):
				if s.tooLong(f) {
					end.cause = "too_long"
					return end
				}
				f.reset()
			case ferr != nil:
				end.cause, end.err, end.write = "error", ferr, true
				return end
			}
		}
		if err != nil {
			switch {
			case s.stopping():
				end.cause = "shutdown"
			case errors.Is(err, os.ErrDeadlineExceeded):
				end.cause = "idle"
			case errors.Is(err, io.EOF):
				end.cause = "eof"
				if f.buffered() > 0 {
					// The stream ended inside a frame (a datagram always
					// ends its frame): what is left is an incomplete one.
					p.garbage(f.buffered(), s.remote)
				}
			default:
				end.cause, end.err = "error", err
			}
			return end
		}
	}
}

// tooLong counts and logs a stream that outgrew the frame cap, and reports
// whether the session must end.
func (s *session) tooLong(f *framer) (closeSession bool) {
	p := s.p
	p.r.m.framesRejected.WithLabelValues(p.opts.Name, p.protocol, protocols.ReasonTooLong.String()).Inc()
	if s.overlong == overlongResync {
		p.logLimited(protocols.ReasonTooLong, "record too long: dropping the buffered bytes",
			zap.String("device", s.remote), zap.String("frame", snippet(p.evidence(f.pending()))))
		return false
	}
	p.logLimited(protocols.ReasonTooLong, "frame too long: closing connection",
		zap.String("remote_addr", s.remote), zap.Int("max_frame_bytes", p.opts.MaxFrameBytes),
		zap.String("frame", snippet(p.evidence(f.pending()))))
	// The stream cannot be framed any more; a protocol that has a refusal
	// for an overlong message (XML code 1) gets it before the close.
	outcome := protocols.Reject(p.protocol, protocols.ReasonTooLong, protocols.ErrFrameTooLong)
	if reply := p.reply(nil, outcome, frameMeta{transport: s.transport, remoteAddr: s.remote}); len(reply) > 0 {
		s.writeAndLinger(reply)
	}
	return true
}

// writeAndLinger writes a last reply and half-closes the connection, then
// reads and drops what the peer still sends, for a bounded time, before
// the close: closing with unread bytes would make the kernel send a reset,
// and the peer could lose the reply with it.
func (s *session) writeAndLinger(reply []byte) {
	if err := s.c.SetWriteDeadline(time.Now().Add(s.p.opts.WriteTimeout)); err != nil {
		return
	}
	if _, err := s.c.Write(reply); err != nil {
		return
	}
	if cw, ok := s.c.(interface{ CloseWrite() error }); ok {
		_ = cw.CloseWrite() // best effort: the close follows either way
	}
	if err := s.c.SetReadDeadline(time.Now().Add(time.Second)); err != nil {
		return
	}
	_, _ = io.CopyN(io.Discard, readerOf{s.c}, int64(max(s.p.opts.MaxFrameBytes, 64<<10))) // what is read is dropped
}

// readerOf hides a conn's other methods from io.CopyN.
type readerOf struct{ c conn }

func (r readerOf) Read(p []byte) (int, error) { return r.c.Read(p) }

// garbage counts bytes the framer skipped while resynchronising.
func (p *pipeline) garbage(n int, remote string) {
	p.r.m.framesRejected.WithLabelValues(p.opts.Name, p.protocol, protocols.ReasonGarbage.String()).Inc()
	p.logLimited(protocols.ReasonGarbage, "bytes outside any frame skipped",
		zap.String("remote_addr", remote), zap.Int("bytes", n))
}
