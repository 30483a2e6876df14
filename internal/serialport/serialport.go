package serialport

import (
	"context"
	"io"
	"time"

	"github.com/tarm/serial"
)

// Config is one port's line settings.
type Config struct {
	Device   string
	Baud     int
	DataBits int    // 7 or 8
	Parity   string // none, even, odd
	StopBits int    // 1 or 2
}

// ReadTimeout bounds each read of an open port, so that shutdown and
// supervision are never stuck behind a silent line. tarm/serial reports the
// timeout as a zero-byte read, which os.File turns into io.EOF.
const ReadTimeout = 200 * time.Millisecond

// Open opens a port; its reads return within ReadTimeout (a quiet line
// reads as io.EOF).
func Open(c *Config) (io.ReadWriteCloser, error) {
	cfg := &serial.Config{Name: c.Device, Baud: c.Baud, Size: byte(c.DataBits), ReadTimeout: ReadTimeout,
		Parity: serial.ParityNone, StopBits: serial.Stop1}
	switch c.Parity {
	case "even":
		cfg.Parity = serial.ParityEven
	case "odd":
		cfg.Parity = serial.ParityOdd
	}
	if c.StopBits == 2 {
		cfg.StopBits = serial.Stop2
	}
	return serial.OpenPort(cfg)
}

// The reopening backoff: it doubles from firstBackoff up to maxBackoff
// while the port cannot be opened or fails at once, and starts again
// after a port that worked.
const (
	firstBackoff = 250 * time.Millisecond
	maxBackoff   = 30 * time.Second
)

// Keep keeps a port open until ctx ends: it opens it, runs use on it, closes
// it when use returns, and opens it again, waiting a doubling backoff
// (250 ms up to 30 s) after each failed open and after each use that
// reports it did not work (a port unplugged, a line hung up). failed hears
// of each open that failed, with the wait before the next attempt.
func Keep(ctx context.Context, c *Config, use func(port io.ReadWriteCloser) (worked bool), failed func(err error, backoff time.Duration)) {
	backoff := firstBackoff
	for ctx.Err() == nil {
		port, err := Open(c)
		if err == nil {
			worked := use(port)
			_ = port.Close() // the port is done with either way; a close error changes nothing
			if worked {
				backoff = firstBackoff
				continue
			}
		} else if failed != nil {
			failed(err, backoff)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, maxBackoff)
	}
}
