package receiver

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/alarmrx/alarmrx/internal/serialport"
	"github.com/alarmrx/alarmrx/protocols"
	"go.uber.org/zap"
)

// serialLoop keeps the serial port open until ctx ends: it serves records
// while the port works and reopens it with a doubling backoff (up to 30 s)
// when it fails or disappears (a USB adapter unplugged).
func (l *listener) serialLoop(ctx context.Context) {
	serialport.Keep(ctx, l.opts.Serial, func(port io.ReadWriteCloser) bool {
		l.log.Info("serial port open", zap.String("device", l.opts.Serial.Device), zap.Int("baud", l.opts.Serial.Baud))
		l.r.m.serialOpen.WithLabelValues(l.opts.Name).Set(1)
		defer l.r.m.serialOpen.WithLabelValues(l.opts.Name).Set(0)
		return l.serveSerial(ctx, port)
	}, func(err error, backoff time.Duration) {
		l.r.m.serialOpenFailures.WithLabelValues(l.opts.Name).Inc()
		l.logLimited(protocols.ReasonUnknown, "serial port cannot be opened; retrying",
			zap.String("device", l.opts.Serial.Device), zap.Error(err), zap.Duration("backoff", backoff))
	})
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
			if time.Since(start) < serialport.ReadTimeout/4 {
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
