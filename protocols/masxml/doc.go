// Package masxml decodes MASXML, the MASterMind-style XML that Ajax Cloud
// Signaling (and, by the brand lists, CHeKT) sends to a central station's
// automation over TCP, and encodes its AckNakClass reply
// [automation-research.md §1, §2.3]. For alarmrx's outputs it also writes
// MASXML in a cloud's place (EncodeSignal, EncodeHeartbeat) and reads the
// receiver's reply (SplitReply, ParseReply).
//
// No vendor specification is public. Everything here is either observed
// (O) in a third-party emulator's fixtures and handlers [S6:
// Max-Palaha/cms_protocol_emulator, protocols/masxml/*, tests/conftest.py,
// tests/integration/test_E2E_masxml.py] or inferred (I) by us; nothing is
// verified (V) against a vendor document or a capture.
//
// Request, one <XMLMessageClass> per message:
//
//	<?xml version='1.0' encoding='UTF-8'?>                     O (optional: I)
//	<XMLMessageClass>                                          O
//	  <MessageType>AJAX</MessageType>                          O; required: I
//	  <SourceID>5</SourceID>                                   O; optional: I; Sender returns it
//	  <MessageSequenceNo>101</MessageSequenceNo>               O; required, 1-20 digits: I (S6 reads \d+)
//	  <KeyValuePair><Key>Account</Key><Value>ABCDEF1234</Value></KeyValuePair>  O
//	  <KeyValuePair><Key>EventCode</Key><Value>E120</Value></KeyValuePair>     O
//	  <KeyValuePair><Key>Area</Key><Value>1</Value></KeyValuePair>             O
//	  <KeyValuePair><Key>User</Key><Value>0</Value></KeyValuePair>             O
//	  <KeyValuePair><Key>Zone</Key>…                           I (§3.3 maps a zone to a KV)
//	  <KeyValuePair><Key>Text</Key>…                           I
//	  <KeyValuePair><Key>URL</Key><Value>https://…</Value></KeyValuePair>      O: media_portal
//	  <KeyValuePair><Key>ClipURL</Key>…  (LiveURL, SnapshotURL)  I: media_clip, media_live, media_snapshot
//	  <KeyValuePair><Key>Position</Key><Value>lat,lon</Value>…  I: modifier position (else attr_position)
//	  <KeyValuePair><Key>Other</Key>…                          I: modifier attr_other
//	  <PacketData>base64</PacketData>                          O: a photo
//	  <Payload><PayloadID/><PacketNumber/><FileName/><LastFile/><PacketData/></Payload>  O (layout inside Payload: I)
//	</XMLMessageClass>                                         O: ends the frame on TCP
//
// Behaviour, and where it comes from:
//   - Framing (O): a message ends at the first </XMLMessageClass>, as the
//     emulator splits its stream. White space, STX, ETX and NUL between
//     messages are skipped, garbage is skipped up to the next declaration
//     or root, and a message cut short by the next one is dropped (I). See
//     Split.
//   - Heartbeat (O): MessageType HEARTBEAT (any case: I); Kind
//     "heartbeat", no events, answered like a signal.
//   - Any other MessageType (AJAX is observed; S6's end-to-end test sends
//     "Event") carries signals: at least one Account and EventCode, else
//     refused as mandatory data missing (I). The event code goes through
//     alarmcode (E120, R120, 1120, 120, BA…; an unknown code is kept).
//   - Keys are matched without regard to case, and so are the names of the
//     elements inside the root (I); the root must be spelt XMLMessageClass,
//     as the framing looks for it (O). An unknown element is skipped, an
//     unknown key kept as attr_<key> (I). Empty values are ignored (I).
//   - Several signals in one message (I): a signal field (Account,
//     EventCode, Area, Zone, User, Text) that comes again starts the next
//     signal, which keeps the previous Account unless it sends its own.
//   - Photos (O: PacketData, Payload): the image is not kept. Detail
//     records each PacketData's file name, packet number, payload id, last
//     file mark and base64 length; the frame cap bounds their size.
//   - Sequence (O): MessageSequenceNo, echoed in the reply; it is
//     Message.Sequence, so a retransmission carries the same one. MASXML
//     carries no time (Timestamp stays zero), receiver or line (O: none
//     seen).
//   - Charset (I): UTF-8, ISO-8859-1/Latin-1 or Windows-1252 as the
//     declaration says; any other is refused. A DTD or any other <!…>
//     directive is refused before anything after it is read; no entity is
//     defined, so XXE and entity expansion cannot happen. Nothing but
//     white space and comments may follow the root.
//
// Reply (O: elements, declaration and code 0 "ok"), compact on one line:
//
//	<?xml version="1.0" encoding="UTF-8" standalone="yes"?><AckNakClass><MessageSequenceNo>101</MessageSequenceNo><ResultCode>0</ResultCode><ResultText>ok</ResultText></AckNakClass>
//
// ResultCode 0 is accepted, anything else is a NAK (O). The emulator sends
// 1, 9 and 10 on demand, and pairs texts such as "Poorly formed XML" and
// "Invalid XML" with them freely (its default NAK is 10 with "Poorly formed
// XML"); what each means to a real sender is unknown
// [automation-research.md §2.3, §7]. Our table is inferred (I):
//
//	 0 ok                 accepted (also for an unknown account: it is stored)
//	 1 Poorly formed XML  not well-formed, not an XMLMessageClass, a directive, a wrong charset, over the cap
//	 9 Invalid XML        well-formed but mandatory data missing or a field's value wrong
//	10 Not stored, retry  read but not stored (store failure, shutdown): the sender should send it again
//
// A request whose sequence is unknown is answered with sequence 0000, as
// the emulator does (O).
//
// Sending (EncodeSignal, EncodeHeartbeat, SplitReply, ParseReply): alarmrx
// takes a cloud's place towards an automation platform's MASXML receiver.
// It writes what Decode reads, compact on one line in UTF-8, and reads the
// AckNakClass above:
//
//	declaration <?xml version="1.0" encoding="UTF-8"?>      O (the emulator writes single quotes)
//	MessageType AJAX (EncodeOptions.MessageType)            O: the only value seen; ours to send: I
//	MessageType HEARTBEAT for the keep-alive, no pairs      O
//	SourceID alarmrx (EncodeOptions.SourceID)               O: the element; the value: I
//	MessageSequenceNo = the output's seq (1-20 digits)      O
//	Account = the account given (1-16 of A-Z a-z 0-9 -)     O: key; the rule: I (else ErrNotEncodable)
//	EventCode E/R/P + Contact ID code, or SIA letters       O: E120; R, P and SIA: I
//	Area, User = Partition, User; Zone = Zone               O: Area, User; Zone: I (cut to 16)
//	Text = Text                                             I (cut to 2000 bytes)
//	URL = media_portal                                      O: key URL; I: that it is the portal link
//	ClipURL, LiveURL, SnapshotURL = media_clip, _live, _snapshot   I
//	<key> = attr_<key>; Position = position                 I
//	no time (at is not sent)                                O: none seen
//	reply ResultCode 0 → OK                                 O
//	reply ResultCode 10 → Retry; 1, 9 → no Retry; other non-zero → Retry  I (our table above)
//	reply MessageSequenceNo → PeerReply.Seq                 O
//
// Nothing on the sending side is secret: MASXML carries no password.
//
// The codec is pure: no I/O, no clock, no logging. It imports the standard
// library, protocols and protocols/alarmcode only.
package masxml
