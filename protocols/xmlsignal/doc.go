// Package xmlsignal decodes the native alarm signal format (design.md §7,
// automation-research.md §3.2): an AlarmMessage with a Header and zero or
// more Signal elements, in XML (namespace urn:alarmrx:signal:1) or as its
// JSON twin, and encodes the AlarmResponse. Zero signals is a heartbeat.
//
// The codec is pure: bytes in, values out, no I/O and no clock.
//
// It imports the standard library and protocols only; never the receiver,
// the store or the daemon.
package xmlsignal
