// Package sos decodes SOS Access v4, SOS Alarm's (Sweden) XML protocol for
// alarm transmitters [S7: pwitab/sos-access, docs/source/
// sos_access_protocol.rst, "SOS Access v4 Protocol"; automation-research.md
// §2.8], and encodes its responses. It also sends: Transmitter writes the
// requests of an alarm transmitter and ParseReply reads the receiver's
// responses (see "Sending" below).
//
// A transmitter opens a TCP connection and sends one XML document per
// request, ISO-8859-1, at most 100,000 characters with header and tags:
//
//	<?xml version="1.0" encoding="ISO-8859-1"?>
//	<alarmrequest>
//	  <authentication>hxp4x9nnwxjatv8</authentication>
//	  <reference>1</reference>
//	  <receiver>42</receiver>
//	  <alarmtype>AL</alarmtype>
//	  <transmittertype>SV300</transmittertype>
//	  <transmittercode>1234567</transmittercode>
//	  <eventcode>BA</eventcode>
//	</alarmrequest>
//
// and the receiver answers each with
//
//	<?xml version="1.0" encoding="ISO-8859-1"?><alarmresponse><reference>1</reference><status>0</status><info>OK</info><arrivaltime>2006-12-24 15:00:00.000</arrivaltime></alarmresponse>
//
// The codec is pure: bytes in, values out, no I/O and no clock (the
// receiver's time is passed to Reply).
//
// # Evidence
//
// V: the source's protocol description [S7] (a transcription of SOS
// Alarm's document, with its examples); O: nothing observed (no capture
// and no emulator is public); I: our reading. Per element and behaviour:
//
//   - V: the three requests alarmrequest, pingrequest,
//     requestnewauthentication and their responses; ISO-8859-1; the
//     100,000-character cap; every element's length: reference 1–50,
//     authentication 15, receiver 1–20, transmittertime 23
//     ("2002-05-28 11:35:20.022", log/trace only), alarmtype AL/RE
//     defaulting to AL, transmittertype 5, transmittercode 1–15 (the
//     customer code), transmitterarea 1–5, eventcode 1–25, section and
//     detector 1–5, sectiontext and detectortext 1–40, additionalinfo
//     1–2000 with CR+LF or LF lines, position with a <pos> child in RT90
//     "x…y…" or WGS84 "NDDMMmmEDDDMMmm"; the status table (0, 1, 2, 3, 4,
//     5, 7, 9, 10, 98, 99, 100, 101) and its info texts; the response
//     elements reference (echoed when sent), status, info, arrivaltime;
//     the arrivaltime form "2006-12-24 15:00:00.000"; pingrequest carries
//     authentication, reference, transmittercode, transmittertype (no
//     receiver); the supervision levels (25 h, 5 h, 180 s, 90 s, two to six
//     pings per interval), which are the receiver's job, as is
//     PING_TO_OFTEN (Answer with StatusPingTooOften).
//   - V, and inconsistent: the source's NOT_AUTHORIZED example shows
//     status 6 while its table says 4; we answer 4. Its table spells 9
//     "SERVICE_UNAVAIVABLE"; we write SERVICE_UNAVAILABLE. Its WGS84
//     example "E597295E0176288" is not in its stated form; it is kept as
//     attr_position.
//   - I: framing. The source defines none beyond "one XML document":
//     Split ends a message at the closing tag of its root and
//     resynchronises at the next "<?xml" or root start tag (see Split).
//   - I: which elements are mandatory: receiver, transmittertype,
//     transmittercode and eventcode in an alarmrequest, transmittercode
//     and transmittertype in a pingrequest (the source marks the others
//     OPTIONAL and these "SUPPLIED BY ALARM OPERATOR"); missing is status 7,
//     an empty element counts as missing. authentication is checked only
//     when Options.Auth is set; then a missing or wrong password is status
//     4. A password longer than 15 characters is status 3.
//   - I: status per failure. A field over its limit, a control character
//     in it, markup inside it, a repeated element or an alarmtype other
//     than AL or RE is 3 WRONG_CONTENT ("to long text for a field"); a
//     message over the cap is 1 INVALID_LENGTH ("Message to long"); a
//     document that is not well-formed, a DTD or entity declaration, or an
//     unknown root element is 2 INVALID_XML; a missing header, a version
//     other than 1.0 or an encoding other than UTF-8, ISO-8859-1,
//     Windows-1252 or US-ASCII is 100. A header-less request is still
//     read for its reference, which the answer echoes.
//   - I: tolerance. Element names in any letter case and namespace; white
//     space around values dropped; elements the protocol does not define
//     kept as attr_<name> modifiers (Request.Extra); ISO-8859-1 read as
//     Windows-1252 (WHATWG); a message with no encoding declared that is
//     not UTF-8 read as ISO-8859-1; an event code of 17–25 characters or
//     with spaces (which alarmcode does not classify) kept as an unknown
//     code rather than refused; transmittertime up to 35 characters, so
//     that RFC 3339 fits.
//   - I: mapping. transmittercode is Message.Account and the event's
//     account; receiver is Message.Receiver (and Sender, the link's
//     name); reference is Message.Sequence, the receiver's idempotency key
//     (a retransmission carries the same reference; none when the sender
//     sends none); transmitterarea is the event's area (Partition);
//     detector the zone, or section when no detector is sent; additionalinfo
//     the text. section, sectiontext, detector, detectortext,
//     transmittertype and transmittertime are kept as attr_ modifiers; a
//     WGS84 position is the "position" modifier "lat,lon" in decimal
//     degrees, any other position attr_position. The eventcode goes
//     through alarmcode (SIA BA, Contact ID E130, unknown codes kept);
//     alarmtype RE makes the event a restore. transmittertime sets
//     Message.Timestamp only when it carries a zone (RFC 3339); the
//     source's form has none.
//   - I: requestnewauthentication (password rotation) is not offered: the
//     receiver keeps no passwords to issue, so it is refused with status 9
//     SERVICE_UNAVAILABLE in a requestnewauthenticationresponse.
//   - I: Reply for a message the receiver could not store (ReasonStore,
//     ReasonShutdown) is status 5 NOT_TREATED_NOT_DISTRIBUTED, so that the
//     sender uses its failover receiver; an unknown account is stored and
//     answered 0; any other failure is 98 SERVER_ERROR.
//
// # Sending
//
// Transmitter (the operator-supplied Authentication, Receiver,
// TransmitterType, and the TransmitterCode its pings carry) writes an
// alarmrequest per signal (EncodeSignal) and a pingrequest as the
// heartbeat (EncodeHeartbeat); SplitReply frames the responses and
// ParseReply reads them. Per element and behaviour:
//
//   - V: the requests' elements, their order as in the source's examples,
//     their limits and ISO-8859-1 [S7]; the reference echoed by the
//     response; transmittertime in the source's "2002-05-28 11:35:20.022"
//     form; WGS84 "NDDMMmmEDDDMMmm"; the pingrequest's authentication,
//     reference, transmittercode and transmittertype (no receiver).
//   - V, sender's action from the status table (its descriptions and
//     automation-research.md §2.8): 0 and 10 delivered; 5 and 99 "fail
//     over" and 98 "server error", sent again (to the backup endpoint);
//     101 PING_TO_OFTEN sent again later.
//   - I: mapping. reference = the output's sequence; alarmtype RE for a
//     restore; transmittercode = the account (1–15 printable ASCII, else
//     ErrNotEncodable); eventcode a Contact ID code as E/R/P+code, SIA
//     letters as they are (1–25, else ErrNotEncodable); transmitterarea the
//     area when it has 1–5 characters (else left out); detector the zone
//     when it has 1–5 characters, else the zone goes to detectortext;
//     additionalinfo the text, cut to 2000; the attr_section,
//     attr_sectiontext, attr_detectortext and attr_position modifiers Decode
//     makes go back to their elements; the user and other attr_ modifiers
//     are not carried. Characters outside ISO-8859-1 become '?'.
//   - I: media links. SOS Access has none: media_clip, media_live,
//     media_snapshot and media_portal (http(s), ≤ 2048 bytes) are written as
//     undefined elements of those names, which Decode reads back as the
//     same modifiers. A receiver that refuses undefined elements refuses
//     such a signal.
//   - I: 1, 2, 3, 4, 6 (the source's NOT_AUTHORIZED example), 7, 9, 100
//     and statuses the source does not define are not sent again: sending
//     cannot mend them, and stop-and-wait would hold every later signal
//     back. A requestnewauthenticationresponse is never read (it holds a
//     password). Responses of at most 4 KiB (MaxReplyBytes).
//
// The password never appears in Detail (Request keeps only whether one was
// sent), in errors, or in the evidence (Redact).
package sos
