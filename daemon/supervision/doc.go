// Package supervision watches that supervised panels keep talking: a timer
// wheel of every account's check-in and test deadlines, and the service that
// raises communications trouble, restores and late tests as synthetic
// messages through the receiver. It owns no socket and no SQL: the daemon
// loads and saves its state, and it must not import the store or the HTTP
// API.
package supervision
