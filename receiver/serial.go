package receiver

import (
	"context"
	"errors"
	"io"
	"os"
	"sync"
	"time"

	"github.com/alarmrx/alarmrx/internal/serialport"
	"github.com/alarmrx/alarmrx/protocols"
	"go.uber.org/zap"
)

// serialLoop keeps the serial port open until ctx ends: it serves records
// while the port works and reopens it with a doubling backoff (up to 30 s)
// when it fails or disappears (a USB adapter unplugged). At shutdown the
// port stays open until the record in hand is committed and answered.
func (l *listener) serialLoop(ctx context.Context) {
	device := l.opts.Serial.Device
	serialport.Keep(ctx, l.opts.Serial, func(port io.ReadWriteCloser) (worked bool) {
		l.log.Info("serial port open", zap.String("device", device), zap.Int("baud", l.opts.Serial.Baud))
		m := l.r.m.serialOpen.WithLabelValues(l.opts.Name)
		m.Set(1)
		defer m.Set(0)
		c := &serialConn{port: port}
		l.mu.Lock()
		l.serial = c
		l.mu.Unlock()
		defer func() {
			l.mu.Lock()
			l.serial = nil
			l.mu.Unlock()
		}()
		// A panic in one session (a codec bug) is recovered and the port
		// reopened, as after any failure: the line is never left unread.
		l.r.routines.Safely("serial session", func() { worked = l.serveSerial(c) })
		return worked
	}, func(err error, backoff time.Duration) {
		l.r.m.serialOpenFailures.WithLabelValues(l.opts.Name).Inc()
		l.pipe().logLimited(protocols.ReasonUnknown, "serial port cannot be opened; retrying",
			zap.String("device", device), zap.Error(err), zap.Duration("backoff", backoff))
	})
}

// serveSerial reads records until shutdown or the port fails. It reports
// whether any record was served.
func (l *listener) serveSerial(c *serialConn) bool {
	device := l.opts.Serial.Device
	p := l.pipe()
	s := &session{p: p, current: l.pipe, c: c, transport: "serial", remote: device, maxFrame: p.opts.MaxFrameBytes,
		overlong: overlongResync, readSize: 1024, stopping: l.stopping.Load}
	end := s.serve()
	switch {
	case end.cause == "shutdown":
	case errors.Is(end.err, errHungUp):
		l.log.Warn("serial port hung up; reopening", zap.String("device", device))
	case end.write:
		l.log.Warn("serial write failed; reopening", zap.String("device", device), zap.Error(end.err))
	case end.err != nil:
		l.log.Warn("serial read failed; reopening", zap.String("device", device), zap.Error(end.err))
	}
	return end.served
}

// errHungUp: a serial line returns end-of-file at once, again and again.
var errHungUp = errors.New("serial line hung up")

// serialConn gives a serial port the read deadlines a session expects: the
// port itself only has its short read timeout (serialport.ReadTimeout), so
// Read reads in those steps until data comes or the deadline passes.
// Writes have no deadline: a serial line accepts bytes at its baud rate.
type serialConn struct {
	port     io.ReadWriteCloser
	mu       sync.Mutex
	deadline time.Time
	fastEOFs int
}

func (c *serialConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	c.mu.Unlock()
	return nil
}

func (c *serialConn) SetWriteDeadline(time.Time) error { return nil }

func (c *serialConn) Write(p []byte) (int, error) { return c.port.Write(p) }

func (c *serialConn) Read(p []byte) (int, error) {
	for {
		c.mu.Lock()
		deadline := c.deadline
		c.mu.Unlock()
		if !deadline.IsZero() && !time.Now().Before(deadline) {
			return 0, os.ErrDeadlineExceeded
		}
		start := time.Now()
		n, err := c.port.Read(p)
		if n > 0 {
			return n, nil // a quiet line's EOF after the bytes is no end
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return 0, err
		}
		if err == nil {
			continue // a zero-byte read without EOF says nothing of the line
		}
		// tarm/serial reports a read timeout as a zero-byte read, which
		// os.File turns into EOF: the line is quiet, not gone. A hung-up
		// line returns EOF at once, again and again.
		if time.Since(start) < serialport.ReadTimeout/4 {
			if c.fastEOFs++; c.fastEOFs > 20 {
				return 0, errHungUp
			}
		} else {
			c.fastEOFs = 0
		}
	}
}
