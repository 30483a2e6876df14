package receiver

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/alarmrx/alarmrx/protocols"
	"github.com/tarm/serial"
	"go.uber.org/zap"
)

// SerialPort is an RS-232 port a listener reads records from.
type SerialPort struct {
	Device   string
	Baud     int
	DataBits int    // 7 or 8
	Parity   string // none, even, odd
	StopBits int    // 1 or 2
}

// serialReadTimeout bounds each read, so that shutdown and supervision are
// never stuck behind a silent line.
const serialReadTimeout = 200 * time.Millisecond

// OpenSerial opens a port with tarm/serial; reads return within 200 ms
// (a quiet line reads as io.EOF).
func OpenSerial(p *SerialPort) (io.ReadWriteCloser, error) {
	cfg := &serial.Config{Name: p.Device, Baud: p.Baud, Size: byte(p.DataBits), ReadTimeout: serialReadTimeout,
		Parity: serial.ParityNone, StopBits: serial.Stop1}
	switch p.Parity {
	case "even":
		cfg.Parity = serial.ParityEven
	case "odd":
		cfg.Parity = serial.ParityOdd
	}
	if p.StopBits == 2 {
		cfg.StopBits = serial.Stop2
	}
	return serial.OpenPort(cfg)
}

// serialLoop keeps the serial port open until ctx ends: it serves records
// while the port works and reopens it with a doubling backoff (up to 30 s)
// when it fails or disappears (a USB adapter unplugged).
func (l *listener) serialLoop(ctx context.Context) {
	backoff := 250 * time.Millisecond
	for ctx.Err() == nil {
		port, err := OpenSerial(l.opts.Serial)
		if err != nil {
			l.r.m.serialOpenFailures.WithLabelValues(l.opts.Name).Inc()
			l.logLimited(protocols.ReasonUnknown, "serial port cannot be opened; retrying",
				zap.String("device", l.opts.Serial.Device), zap.Error(err), zap.Duration("backoff", backoff))
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 30*time.Second)
			continue
		}
		l.log.Info("serial port open", zap.String("device", l.opts.Serial.Device), zap.Int("baud", l.opts.Serial.Baud))
		l.r.m.serialOpen.WithLabelValues(l.opts.Name).Set(1)
		if l.serveSerial(ctx, port) {
			backoff = 250 * time.Millisecond // it worked for a while
		}
		_ = port.Close()
		l.r.m.serialOpen.WithLabelValues(l.opts.Name).Set(0)
	}
}

// serveSerial reads records until ctx ends or the port fails. It reports
// whether any record was served.
func (l *listener) serveSerial(ctx context.Context, port io.ReadWriteCloser) (served bool) {
	device := l.opts.Serial.Device
	// Closing the port is the only way to wake a read on some drivers.
	var once sync.Once
	stop := context.AfterFunc(ctx, func() { once.Do(func() { _ = port.Close() }) })
	defer stop()
	f := newFramer(l.opts.Codec, l.opts.MaxFrameBytes)
	buf := make([]byte, 1024)
	fastEOFs := 0
	for ctx.Err() == nil {
		start := time.Now()
		n, err := port.Read(buf)
		if n > 0 {
			received := l.r.opts.Now()
			ferr := f.feed(buf[:n], func(frame []byte) error {
				served = true
				reply := l.serveFrame(frame, frameMeta{transport: "serial", remoteAddr: device, receivedAt: received})
				if len(reply) == 0 {
					return nil
				}
				_, err := port.Write(reply)
				return err
			}, func(skipped int) { l.garbage(skipped, device) })
			if errors.Is(ferr, protocols.ErrFrameTooLong) {
				l.r.m.framesRejected.WithLabelValues(l.opts.Name, l.protocol, protocols.ReasonTooLong.String()).Inc()
				l.logLimited(protocols.ReasonTooLong, "record too long: dropping the buffered bytes",
					zap.String("device", device), zap.String("frame", snippet(l.evidence(f.pending()))))
				f = newFramer(l.opts.Codec, l.opts.MaxFrameBytes)
			} else if ferr != nil {
				l.log.Warn("serial write failed; reopening", zap.String("device", device), zap.Error(ferr))
				return served
			}
		}
		switch {
		case err == nil:
		case errors.Is(err, io.EOF):
			// tarm/serial reports a read timeout as a zero-byte read, which
			// os.File turns into EOF: the line is quiet, not gone. A hung-up
			// line returns EOF at once, again and again: reopen it then.
			if time.Since(start) < serialReadTimeout/4 {
				if fastEOFs++; fastEOFs > 20 {
					l.log.Warn("serial port hung up; reopening", zap.String("device", device))
					return served
				}
			} else {
				fastEOFs = 0
			}
		default:
			if ctx.Err() == nil {
				l.log.Warn("serial read failed; reopening", zap.String("device", device), zap.Error(err))
			}
			return served
		}
	}
	return served
}
