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
package microkey
