// Package daemon is alarmrx's application: from a configuration it opens
// the store, builds every listener's codec through the protocol registry,
// and assembles the receiver, supervision, the outputs, the morning report
// and the HTTP server; Run serves until its context ends and shuts them
// down in order (the receiver first, so that nothing is acknowledged that
// is not stored; the store last, after its final commit).
//
// It lives in its own folder, above the ingest in receiver/, because it
// wires everything: the services it runs sit beside it as daemon/httpapi,
// daemon/output, daemon/report and daemon/supervision, each with one job,
// and none of them imports the daemon or another service. Only cmd/alarmrx
// imports it.
package daemon
