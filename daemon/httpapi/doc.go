// Package httpapi serves alarmrx's HTTP side: Prometheus metrics, health and
// readiness probes, and the JSON API over stored signals. It only adapts Go
// methods of the store and the receiver to HTTP.
//
// It serves the console and client portal (web/) and hands XML and JSON
// alarm messages to the receiver. It declares the store interfaces it uses
// (store.go) and takes whatever satisfies them; it must not import the
// daemon, configs or another daemon service.
package httpapi
