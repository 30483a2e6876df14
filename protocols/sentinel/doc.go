// Package sentinel decodes the receiver input of Monitorsoft Sentinel as
// the Ajax-oriented protocol emulator speaks it [automation-research.md
// §2.5, S6]: one text line per message, pipe-separated key=value pairs
// (Account=1234|Event=E130|Zone=017|Area=1|MediaUrl=https://…), answered
// with one byte, ACK 0x06 or NAK 0x15; the two bytes 06 14 are a ping.
// Each line carries one event, classified through protocols/alarmcode.
//
// The evidence is thin: the emulator's handler splits on '|' and on the
// first '=', reads "Event" and "MediaUrl", answers 06 or 15 and treats
// 06 14 as a ping; nothing more. CHeKT's Sentinel receiver is Sentinel's
// "XML Event Processor" with "Port and ID" addressing, Device ID being the
// account and "User Reference" the CHeKT Site ID [§2.1, S3, S22], but its
// payload is not public: whether it is these lines is unknown. The codec
// is therefore tolerant, and every rule below says how sure it is: V is a
// vendor document, O the emulator [S6], I our reading.
//
//	Element / behaviour                                    Conf.
//	one message per line                                   O (one message per read in S6)
//	terminator CR, LF or CRLF                              I
//	terminator DC4 (0x14), as the ping ends                I
//	empty lines and leading C0 noise (NUL, STX…) skipped   I
//	line cap Options.MaxFrameBytes, default 16 KiB         I
//	pairs split at '|', key and value at the first '='     O
//	keys and values trimmed of spaces and tabs             O (S6 strips both)
//	keys case-insensitive; space, '_', '-' ignored         I (S6 matches MediaUrl in any case)
//	empty segments (a||b, trailing |) ignored              I
//	a segment without '=' refused (ErrSyntax)              I (S6 ignores it)
//	Event: the event code (E130, R130, 130, BA…)           O
//	EventCode, Code, Alarm: the event code                 I
//	Account, DeviceID / Device ID, Device: the account     V (Device ID is Sentinel's account [§2.1])
//	CSID, TXID, Act, Acct: the account                     I (CHeKT's launch URL names [§2.1])
//	Id: the account when no other account key is sent,
//	    else the sequence when none is sent, else attr_id   I
//	Seq, Sequence, MsgId, MessageId: Message.Sequence      I
//	Zone, Point, PZ: the zone                              I
//	Area, Partition: the area                              I
//	User: the user                                         I
//	Text, Description, Message: the event text             I
//	Time, DateTime, Timestamp: attr_time, as text; with a
//	    zone (RFC 3339) also Timestamp and PanelTime        I
//	UserReference / User Reference, SiteID: attr_site_id   V (CHeKT Site ID [§2.1]), key spelling I
//	MediaUrl: media_snapshot                               O (S6 labels it a photo)
//	Image, Snapshot: media_snapshot; VideoUrl: media_clip;
//	    LiveUrl: media_live; Url, Link: media_portal        I
//	any other key: attr_<key> (lower case, ' ' '-' as '_') I
//	a secret key (passkey, password, token…) never kept    I (CHeKT issues a passkey [§2.1, S2])
//	a field given twice with different values refused      I
//	a non-UTF-8 line read as Windows-1252 / Latin-1        I
//	ACK 0x06 for a stored line                             O
//	NAK 0x15 for a refused line                            O (S6 "nak" mode), which lines I
//	NAK 0x15 when the store fails: the sender resends      I
//	ping 06 14 answered 06                                 O
//	ping 06 alone on a line, "PING", a blank line          I
//	a line starting with '<' refused (XML Event Processor
//	    payload unknown)                                    I
//
// Message.Sequence is the line's own Seq/Sequence/MsgId/MessageId (or Id,
// see above); a line without one has none, and the receiver cannot tell a
// resent line from a new one. Message.Timestamp is set only by a time that
// carries a zone. Receiver and Line are never set: the dialect has none.
//
// Refusals: ErrSyntax, ErrMissing, ErrWrongContent and ErrXML, all with
// ReasonSyntax; protocols.ErrFrameTooLong with ReasonTooLong. Every one is
// answered NAK, and so are ReasonStore and ReasonShutdown; ReasonUnknownAccount
// is answered ACK.
//
// # Sending side
//
// EncodeSignal, EncodeHeartbeat, SplitReply and ParseReply let alarmrx
// play the cloud towards a Sentinel receiver (stop-and-wait). What they
// write is what Decode accepts; how sure each choice is:
//
//	Element / behaviour                                    Conf.
//	one line per signal, ended CR LF                       O (line per read) / I (CR LF)
//	Account=<account>                                      V (Device ID is the account [§2.1]), key I
//	Seq=<seq>, left out when seq is ""                     I (the emulator reads none)
//	Event=E/R/P + Contact ID code, or the SIA letters      O (Event=E130 [S6])
//	Zone, Area (the partition), User, Text                 I
//	the first usable media link: MediaUrl (snapshot)       O (S6 reads MediaUrl)
//	    VideoUrl (clip), LiveUrl (live), Url (portal)      I
//	other links, position, attr_* extras, the time:
//	    not sent                                           I
//	empty fields left out                                  I
//	'|' → '/', tab → space, CR LF controls dropped,
//	    invalid UTF-8 → U+FFFD, blanks trimmed             I
//	'|', space, controls percent-encoded in a link         I
//	Zone/Area/User without blanks, cut to MaxAddress bytes;
//	    Text cut to MaxText characters; a link over MaxURL
//	    or not http(s) passed over                         I
//	ErrNotEncodable: account, code or seq Decode refuses   I
//	heartbeat 06 14, no sequence, no time                  O (S6 ping)
//	reply frames: each 06 or 15 byte; other bytes skipped  O (bytes) / I (skipping)
//	ACK 06: OK; the reply echoes no sequence (Seq "")      O
//	NAK 15: not OK, Retry (it carries no reason; the
//	    sender resends)                                    I
//	any other reply frame: ErrReply, ReasonSyntax          I
//
// The codec is pure: bytes in, values out, no I/O and no clock. It imports
// the standard library, protocols and protocols/alarmcode only.
package sentinel
