// Package microkey decodes Micro Key XML, the packages SPA's "Xml MicroKey
// Receiver Driver" (driver 38) reads [automation-research.md §2.2]: what
// Alarm.com, Ajax Cloud Signaling and CHeKT send a Micro Key central
// station over TCP. A package holds a SignalCount, a Sequence and zero or
// more Signals; zero is a heartbeat. Each package is answered with an ACK
// or a NAK echoing its Sequence.
//
//	LF <?xml version="1.0"?><Signals Ver="1.0.0"><SignalCount>1</SignalCount>
//	<Sequence>10000</Sequence><Signal><LN>01</LN><ACC>8888</ACC><SI>BD</SI>
//	<PZ>102</PZ><A>1</A><VF>\\172.26.1.26\servidor\…\canal_2.avi</VF>
//	<DT>2025-05-29</DT><TM>17:07:48</TM></Signal></Signals><Checksum>3F7D</Checksum> CR
//
// The codec is pure: bytes in, values out; no I/O, no clock, no logging.
//
// # Evidence
//
// V: a vendor document or log (Micro Key's KB sample [S5], its driver help
// [S27]); O: observed in the third-party emulator written against Ajax's
// output [S6]; I: our reading.
//
//	Framing LF … </Signals><Checksum>hhhh</Checksum> CR          V [S5]
//	LF/CR missing, swapped (the emulator replies CR … LF), blanks I (tolerated; O for CR…LF)
//	XML declaration optional                                    I (V shows it)
//	encoding UTF-8 / ISO-8859-1 / Windows-1252 declared          I (contract)
//	undeclared non-UTF-8 read as Windows-1252                    O [S6]
//	Signals@Ver "1.0.0"                                          V [S5]; kept, not checked (I)
//	SignalCount, 0 = heartbeat (keeps SPA supervision alive)     V [S27]
//	SignalCount must equal the <Signal> elements, else NAK       I
//	Sequence: package number, echoed in the reply                V (tag) / O (echo)
//	several <Signal> in one package                              O [S6]
//	LN line → Message.Line, attr_line                            V (tag) / I (meaning)
//	ACC / Account: account (CSID)                                V / O
//	SI / SignalIdentifier: event code (BD, E130, R145…)          V / O; classified by alarmcode (I)
//	PZ / PhysicalZone: zone; A / Area: area                      V / O
//	Data: free text → Event.Text                                 O [S6]
//	DT / Date, TM / Time: no time zone → text only               V / O; no PanelTime (I: the zone is unknown)
//	VF / VideoFile; http(s) → media_clip, else attr_video_file   V / O; mapping I (the sample's VF is a UNC path)
//	Image → media_snapshot; Url, Link, Hyperlink → media_portal  O [S6]; mapping I
//	other elements of a Signal → attr_<lower-case name>          I
//	Checksum: 4 hex digits, algorithm unknown, not verified     V (existence) [S5]; I (accept any)
//	no Checksum at all: accepted, deviation "checksum"           I
//	lower-case hex digits: accepted, deviation "lower_hex"       I
//	ACK \r<Response><Sequence/><Status>ACK</Status></Response><Checksum>…</Checksum>\n  O [S6]
//	NAK … <Status>NAK</Status><Error>text</Error> …              O [S6] ("Checksum error"); other texts I
//	reply checksum 0000 (see ReplyChecksum)                      O (NAK shows 0000) / I (ACK)
//	NAK'd packages are resent by smarter senders                 V [S27]
//	/NoACKNAK: no replies (Options.NoACKNAK)                     V [S27]
//	30 s supervision, A101/A102                                  V [S27]: the receiver's job, not the codec's
//
// # Refusals
//
// Every refusal is a *protocols.FrameError wrapping a sentinel, answered
// with a NAK whose Error text is fixed per cause:
//
//	ErrSyntax       syntax    Invalid XML (bad XML, <!DOCTYPE>/<!ENTITY>, root not Signals,
//	                          content after it, an element inside a field, another charset)
//	ErrChecksum     checksum  Checksum error (not <Checksum> with 4 hex digits)
//	ErrCount        syntax    Signal count mismatch
//	ErrMissing      syntax    Missing sequence / Missing signal count / Missing account / Missing event code
//	ErrWrongContent syntax    Invalid sequence / Invalid signal count / Too many signals /
//	                          Invalid account / Invalid event code / Invalid field / Invalid URL
//	ErrFrameTooLong too_long  Message too long
//	(receiver)      store, shutdown, anything else: Not stored, resend
//
// An unknown event code is never refused: alarmcode keeps it as "Invalid
// alarm <code>". An unknown account is stored and acknowledged.
//
// # Sending
//
// EncodeSignal and EncodeHeartbeat write packages as a cloud sends them to
// a Micro Key receiver; SplitReply and ParseReply read its answers. Each
// element, and where its mapping comes from:
//
//	framing LF <?xml version="1.0"?><Signals Ver="1.0.0"> … CR     V [S5]
//	SignalCount 1 (one signal per package: stop-and-wait)        V (tag) / I (one per package)
//	SignalCount 0, no Signal: the heartbeat                      V [S27]
//	Sequence: the output's counter                               V (tag) / O (echo)
//	element order LN ACC SI PZ A VF DT TM, short names           V [S5]
//	LN: attr_line, else "01"                                     V (tag, value) / I (meaning)
//	ACC: the account; refused unless 1-16 of A-Z a-z 0-9 -       V (tag) / I (rule, as Decode)
//	SI: CID as E/R/P+code, SIA letters as they are               O (Ajax: E130, R145) / V (BD) [S5]
//	PZ: zone; the user for a user-addressed code                 V (tag) / I (the user in PZ)
//	A: partition (written empty when none)                       V (tag) / I
//	VF: first http(s) link ≤ 2048 bytes: clip, snapshot, live,   V (tag) / I (any link in VF:
//	    portal; else attr_video_file; omitted when none              the sample's is a UNC path)
//	DT, TM: the time received, in UTC, YYYY-MM-DD / HH:MM:SS     V (format) / I (UTC: no zone field)
//	Data: the event text, only when there is one                 O [S6] (long-name element) / I (mixed with short names)
//	other links, position, attr_* extras: not sent               I (no element for them)
//	Checksum 0000 (SendChecksum): the algorithm is unknown       V (existence) / I (value)
//	LN, PZ, A cut to 32 bytes, Data to 2000, control chars out   I (Decode's caps)
//	UTF-8, no encoding declared; text escaped (encoding/xml)     I (the XML default)
//	reply CR <Response>…</Response><Checksum>hhhh</Checksum> LF  O [S6]; CR/LF missing or swapped, blanks,
//	                                                             a declaration: tolerated (I)
//	Status ACK → OK; NAK → not OK                                O [S6]
//	NAK resent, unless its Error says the data is invalid        V [S27] (rule) / I (which texts)
//	reply checksum not verified                                  I (algorithm unknown)
//
// A NAK is to be resent (PeerReply.Retry) unless its Error text is one our
// own Reply writes for a refusal (InvalidDataText: every text but "Not
// stored, resend"); a NAK without text or with a text we do not know is
// resent, as "smarter senders resend a NAK'd package" [S27]. A receiver
// that verifies the checksum answers "Checksum error", which is not
// resent: the same bytes would fail again.
package microkey
