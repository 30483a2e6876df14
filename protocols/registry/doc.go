// Package registry owns the one list of protocols a listener can speak: each
// protocol's config name, transports, reply rules, transport check and how
// its codec is built, read by configs validation, the daemon and the README test.
//
// Like the codecs it lists, it imports only the standard library and the
// packages under protocols/, never configs, the daemon or the store: the
// daemon fills its Options from the configuration, so configs can import
// it for validation without a cycle. Every codec frames its own stream
// (Codec.Split), so a Protocol carries no separate framer.
package registry
