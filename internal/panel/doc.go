// Package panel simulates an alarm panel's DC-09 communicator: it sends
// frames over TCP or UDP, waits for the receiver's reply (stop-and-wait, as
// panels do) and validates it — CRC, length, sequence and account echo, and
// for encrypted frames the *ACK's decryption. `alarmrx send` and `alarmrx
// bench` are built on it, and so are the end-to-end tests.
//
// It must not import the receiver, the daemon or the store: it speaks to
// them only over the wire, as a real panel does.
package panel
