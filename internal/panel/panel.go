package panel

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/alarmrx/alarmrx/protocols/dc09"
)

// Sentinel errors.
var (
	// ErrBadReply is a reply that fails validation: wrong CRC or length,
	// unexpected token, sequence or account not echoed, undecryptable *ACK.
	ErrBadReply = errors.New("panel: bad reply")
	// ErrTimeout is no reply within the timeout (a bad-CRC frame, by design,
	// gets none).
	ErrTimeout = errors.New("panel: no reply")
)

// Options configure a Panel.
type Options struct {
	Network string        // "tcp" (default) or "udp"
	Addr    string        // receiver host:port
	Key     dc09.Key      // zero: send plain frames
	Timeout time.Duration // per reply; default 5s
	// Pad, if set, supplies pad bytes for encrypted frames (tests pin it).
	Pad func(n int) []byte
}

// Reply is the receiver's answer to one frame.
type Reply struct {
	Token   string      // ACK, NAK or DUH
	Frame   *dc09.Frame // the decoded reply
	Raw     []byte
	Latency time.Duration // write of the frame to receipt of the reply
}

// Panel is one connection (or UDP socket) to a receiver. It is not safe for
// concurrent use: like a real panel it waits for each reply.
type Panel struct {
	opts  Options
	conn  net.Conn
	buf   []byte
	start int
	end   int
	split *dc09.Codec
}

// Dial connects to the receiver.
func Dial(ctx context.Context, opts Options) (*Panel, error) {
	if opts.Network == "" {
		opts.Network = "tcp"
	}
	if opts.Network != "tcp" && opts.Network != "udp" {
		return nil, fmt.Errorf("panel: network must be tcp or udp, not %q", opts.Network)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Second
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, opts.Network, opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("panel: %w", err)
	}
	return &Panel{opts: opts, conn: c, buf: make([]byte, 8192), split: dc09.New(dc09.Options{})}, nil
}

// Close closes the connection.
func (p *Panel) Close() error { return p.conn.Close() }

// Encode builds the wire bytes of f with the panel's key.
func (p *Panel) Encode(f *dc09.Frame) ([]byte, error) {
	return dc09.Encode(f, p.opts.Key, p.opts.Pad)
}

// Send encodes f, sends it and waits for the reply. A NAK or DUH is returned
// as a Reply with a nil error: it is a valid answer; callers decide.
func (p *Panel) Send(ctx context.Context, f *dc09.Frame) (*Reply, error) {
	wire, err := p.Encode(f)
	if err != nil {
		return nil, err
	}
	return p.SendRaw(ctx, wire, f)
}

// SendRaw sends prepared bytes (possibly deliberately broken) and waits for
// the reply to the frame sent. sent may be nil, which skips the echo checks.
func (p *Panel) SendRaw(ctx context.Context, wire []byte, sent *dc09.Frame) (*Reply, error) {
	deadline := time.Now().Add(p.opts.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := p.conn.SetWriteDeadline(deadline); err != nil {
		return nil, err
	}
	start := time.Now()
	if _, err := p.conn.Write(wire); err != nil {
		return nil, fmt.Errorf("panel: send: %w", err)
	}
	raw, err := p.readFrame(deadline)
	if err != nil {
		return nil, err
	}
	rep := &Reply{Raw: raw, Latency: time.Since(start)}
	key := dc09.Key{}
	if sent != nil && sent.Encrypted {
		key = p.opts.Key
	}
	fr, err := dc09.Parse(raw, key)
	if err != nil {
		return rep, fmt.Errorf("%w: %w", ErrBadReply, err)
	}
	rep.Frame = fr
	rep.Token = fr.Token
	if err := validate(sent, fr); err != nil {
		return rep, err
	}
	return rep, nil
}

// validate checks a reply against the frame it answers [DC-09 §3.8]: an
// ACK or DUH echoes sequence, receiver, line and account, in the form sent
// (an R or L left out of the frame is left out of the reply, as senders that
// omit them check); an encrypted frame is answered by an encrypted ACK; a
// NAK has the fixed 0000/R0/L0/A0 header and the receiver's time.
func validate(sent, got *dc09.Frame) error {
	switch got.Token {
	case "ACK", "DUH":
		if sent == nil {
			return nil
		}
		sentR := sent.HasReceiver || sent.Receiver != ""
		if got.Sequence != sent.Sequence || got.Account != sent.Account || got.Line != sent.Line ||
			got.NoLine != sent.NoLine || got.Receiver != sent.Receiver || got.HasReceiver != sentR {
			return fmt.Errorf("%w: %s does not echo seq/R/L/#acct (sent %s %s %s #%s, got %s %s %s #%s)",
				ErrBadReply, got.Token, sent.Sequence, field('R', sent.Receiver, sentR), field('L', sent.Line, !sent.NoLine),
				sent.Account, got.Sequence, field('R', got.Receiver, got.HasReceiver), field('L', got.Line, !got.NoLine),
				got.Account)
		}
		if got.Token == "ACK" && sent.Encrypted != got.Encrypted {
			return fmt.Errorf("%w: encrypted=%v frame answered by encrypted=%v ACK", ErrBadReply,
				sent.Encrypted, got.Encrypted)
		}
		if got.Encrypted && !got.HasTimestamp {
			return fmt.Errorf("%w: *ACK without timestamp", ErrBadReply)
		}
	case "NAK":
		if !got.HasTimestamp {
			return fmt.Errorf("%w: NAK without the receiver's time", ErrBadReply)
		}
	default:
		return fmt.Errorf("%w: unexpected token %q", ErrBadReply, got.Token)
	}
	return nil
}

// field shows an optional header field for an error message: its letter
// and value, or "no R"/"no L".
func field(letter byte, value string, present bool) string {
	if !present {
		return "no " + string(letter)
	}
	return string(letter) + value
}

// readFrame reads until one complete DC-09 frame arrived. For UDP one
// datagram is one reply.
func (p *Panel) readFrame(deadline time.Time) ([]byte, error) {
	if err := p.conn.SetReadDeadline(deadline); err != nil {
		return nil, err
	}
	for {
		if p.end > p.start {
			adv, frame, err := p.split.Split(p.buf[p.start:p.end], false)
			if err != nil {
				p.start, p.end = 0, 0
				return nil, fmt.Errorf("%w: %w", ErrBadReply, err)
			}
			if frame != nil {
				out := append([]byte(nil), frame...)
				p.start += adv
				return out, nil
			}
			p.start += adv
			if adv == 0 && p.end == len(p.buf) {
				if p.start == 0 {
					p.start, p.end = 0, 0
					return nil, fmt.Errorf("%w: reply too long", ErrBadReply)
				}
				p.end = copy(p.buf, p.buf[p.start:p.end])
				p.start = 0
			}
		}
		if p.start == p.end {
			p.start, p.end = 0, 0
		}
		n, err := p.conn.Read(p.buf[p.end:])
		p.end += n
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return nil, ErrTimeout
			}
			if n == 0 {
				return nil, fmt.Errorf("panel: read: %w", err)
			}
		}
	}
}
