// Package registry owns the one ordered list of listener protocols: each
// one's config name, transports, replies, transport check and codec
// construction. It imports only the standard library and packages under
// protocols/, never configs, daemon or store, so that configs can validate
// with it without an import cycle.
//
// The entries sit together in registry.go rather than in each codec
// package: a codec stays a pure codec that knows nothing of listeners, and
// the reader sees every protocol's rules side by side. The daemon fills
// Options from a listener's configuration; each protocol reads only its own
// fields. Every codec frames its own stream (Codec.Split), so an entry has
// no separate framer.
package registry
