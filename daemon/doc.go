// Package daemon assembles a running alarmrx from its configuration: the
// store, the codecs, the receiver's listeners and the HTTP side, started and
// stopped in order. cmd/alarmrx calls it, and so do the end-to-end tests,
// which run the whole daemon in-process on 127.0.0.1:0.
//
// It lives in its own folder, above the ingest in receiver/, because it
// wires everything: the services it runs sit beside it as daemon/httpapi,
// daemon/output, daemon/report and daemon/supervision, each with one job,
// and none of them imports the daemon or another service. Run shuts them
// down in order: the receiver, the jobs and the outputs are told to stop
// together, and the receiver is waited for first (nothing is acknowledged
// that is not stored); then supervision, which still raises the restores
// of frames committed during the receiver's grace; then the jobs and
// outputs; then HTTP; and the store last, after its final commit. Only cmd/alarmrx and the end-to-end
// tests import it.
package daemon
