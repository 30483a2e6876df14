// Package output delivers stored signals to central-station automation
// from the store's durable outbox: the Sur-Gard record stream that legacy
// automation software reads from a receiver (design.md §8, protocols.md
// §4.5). Delivery is at least once and in order: a signal leaves the
// outbox when the automation acknowledged it, or, on a Sur-Gard output,
// when no Sur-Gard record can carry it; then the row is kept as
// undeliverable with the reason, counted, listed in the API and raises the
// output's undeliverable incident. Nothing is passed over silently.
//
// It reads and records through the Outbox interface it declares; it must
// not import the daemon, the receiver, configs or another daemon service.
package output
