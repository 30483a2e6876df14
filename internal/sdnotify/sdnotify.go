// Package sdnotify tells systemd how a Type=notify service is doing, as
// sd_notify(3) does: a datagram of newline-separated VARIABLE=value
// assignments to the unix socket named by $NOTIFY_SOCKET. Outside such a
// service (no $NOTIFY_SOCKET) every call does nothing.
package sdnotify

import (
	"fmt"
	"net"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// The states alarmrx sends (sd_notify(3)).
const (
	Ready    = "READY=1"    // start-up is done: the listeners are bound and the store opened
	Stopping = "STOPPING=1" // shutdown has begun
)

// Reloading is the state of a configuration reload under way, with the
// CLOCK_MONOTONIC time systemd matches it by (sd_notify(3): RELOADING=1
// needs MONOTONIC_USEC since systemd 253); READY=1 ends it.
func Reloading() string {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return fmt.Sprintf("RELOADING=1\nMONOTONIC_USEC=%d", ts.Nano()/1000)
}

// Notify sends state to the service manager. It reports whether it was
// sent: false, with no error, when $NOTIFY_SOCKET is unset.
func Notify(state string) (bool, error) {
	name := os.Getenv("NOTIFY_SOCKET")
	if name == "" {
		return false, nil
	}
	if name[0] == '@' {
		name = "\x00" + name[1:] // an abstract socket (sd_notify(3))
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		return false, err
	}
	defer conn.Close()
	// A datagram to a local socket does not block for long; the deadline
	// keeps a stuck manager from holding the start-up.
	if err := conn.SetWriteDeadline(time.Now().Add(time.Second)); err != nil {
		return false, err
	}
	if _, err := conn.Write([]byte(state)); err != nil {
		return false, err
	}
	return true, nil
}
