// Package acceptloop is the one accept loop of alarmrx's TCP servers (the
// receiver's listeners, the Sur-Gard output's automation port): accept
// until the listener closes, and wait a doubling backoff after a failed
// accept instead of spinning. It imports no other alarmrx package.
package acceptloop
