// Package ptytest links two pseudo-terminals with socat for tests of
// serial lines: what one end writes, the other reads, like a null-modem
// cable. Only tests import it; it imports no other alarmrx package.
package ptytest
