// Package xmlsignal decodes the native alarm signal format (design.md §7,
// automation-research.md §3.2): an AlarmMessage with a Header and zero or
// more Signal elements, in XML (namespace urn:alarmrx:signal:1) or as its
// JSON twin, and encodes the AlarmResponse. Zero signals is a heartbeat.
//
// The codec is pure: bytes in, values out, no I/O and no clock.
//
// # Sending side
//
// Sender.EncodeSignal, Sender.EncodeHeartbeat, SplitReply and ParseReply
// make alarmrx a sender to another alarmrx's native TCP listener (an
// output, stop-and-wait). The format is ours (design.md §7,
// alarm-message.xsd), so there is no outside evidence to mark V or O: every
// row below is our mapping (I), and the receiving side it must satisfy is
// this package's own Decode and Answer, which the round-trip tests, golden
// files (testdata/golden/xmlsignal/encode_*) and FuzzEncodeSignal check.
//
//	Header/MessageId  "alarmrx-" + seq (the outbox row id): the receiver's
//	                  idempotency key, the same on every retransmission;
//	                  a heartbeat's is "alarmrx-hb-<time>-<seq>"
//	Header/Sequence   seq; the AlarmResponse echoes it → PeerReply.Seq
//	Header/Source     Sender.Source ("" → "alarmrx"), the peer's sender id
//	Header/Passkey    Sender.Passkey when set (the TCP listener requires it)
//	Header/SentAt     at, RFC 3339 UTC (the receive time: resent bytes are
//	                  the same bytes)
//	Signal/Account    the account, 1-16 of A-Z a-z 0-9 - (else refused)
//	Signal/EventTime  at, RFC 3339 UTC
//	Signal/Code       CID: E/R/P + three digits; SIA: two letters (else
//	                  refused, known or not)
//	Area, Zone, User  Partition; Zone, or User for a user-addressed code;
//	                  a value Decode's grammar cannot read goes as Attr
//	Text              Text, cleaned, ≤ MaxText bytes
//	Media/Link        media_clip|live|snapshot|portal, http(s), ≤ MaxURL
//	Position          "position" "lat,lon"
//	Test              "test" (value "" or true)
//	Attr name=…       attr_<name>
//
// ParseReply reads Status/@code: 0 and 10 (duplicate) are OK; 5 (not
// treated: not stored), 98, 101 and unknown codes are sent again; 1, 2,
// 3, 4 and 7 are refusals for good.
//
// It imports the standard library and protocols only; never the receiver,
// the store or the daemon.
package xmlsignal
