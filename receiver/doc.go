// Package receiver is alarmrx's ingest: frames in, durable commits, ACKs
// out. It owns the transports (TCP, UDP, serial lines, and frames the HTTP
// server submits), one session loop over a small connection interface
// (session.go), the framer, and the staged pipeline every frame goes
// through (pipeline.go):
//
//	decode → dedupe → resolve → classify → commit → reply
//
// The positive reply is written only after the store has committed the
// frame (its journal entry). A poll, a valid message with no event, skips
// dedupe and commit: it checks its account in, its evidence goes to the
// Polls recorder, and it is acknowledged. Every failure becomes the negative reply the codec prescribes, is
// counted in a metric with a closed reason label and logged at most once per
// interval per listener and reason. After the commit come the effects that
// are not the frame's own (check-ins for supervision, link changes); they
// never delay the reply and never re-enter a pipeline. Events the station
// raises itself enter through each receiver's own source (Raise).
//
// Every goroutine is started through one routine group that recovers its
// panics and refuses work after shutdown; Run's shutdown lets the frames in
// flight finish their ACK, bounded by the grace period.
//
// It must not import the daemon or its services (HTTP, outputs, report,
// supervision), nor configs: cmd/alarmrx and the daemon map configuration
// into Options, and consumers such as supervision plug in through the small
// interfaces declared here (Sink, Resolver, LinkRecorder, CheckIns, Polls).
package receiver
