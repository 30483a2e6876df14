// Package receiver runs alarmrx's listeners: it accepts panel connections
// and datagrams, frames the byte stream with the protocol's codec, and drives
// each frame through the pipeline
//
//	decode → duplicate check → commit (group-committed, durable) → reply
//
// The positive reply is written only after the store has committed the
// frame. Every failure becomes the negative reply the codec prescribes, is
// counted in a metric with a closed reason label and logged at most once per
// interval per listener and reason.
//
// Package receiver knows nothing of configuration files: cmd/alarmrx maps
// configs into Options.
package receiver
