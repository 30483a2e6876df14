// Package httpapi serves alarmrx over HTTP: /metrics, the health probes,
// the JSON API described by openapi.yaml, the operator console and the
// client portal (web/), logins and sessions, and the endpoints that hand
// XML and JSON alarm messages to the receiver.
//
// It declares the store interfaces it uses (store.go) and takes whatever
// satisfies them; it must not import the daemon, configs or another
// daemon service.
package httpapi
