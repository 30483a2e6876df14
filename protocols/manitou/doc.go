// Package manitou decodes Manitou XML, the input of Bold Group's Manitou
// receiver that Ajax Cloud Signaling and some panels (VESTA "MANITOU XML")
// send [automation-research.md §2.4, S13, S29], and encodes its Ack and
// Nak.
//
// No vendor specification is public. Each element and behaviour below is
// marked V (a vendor document or capture: none), O (observed in the
// third-party emulator [S6] Max-Palaha/cms_protocol_emulator,
// protocols/manitou) or I (our inference).
//
//	Framing   STX (0x02) XML ETX (0x03) on TCP ........................... O
//	          garbage before STX, CR/LF between frames skipped; a second
//	          STX restarts the frame; cap DefaultMaxFrameBytes (1 MiB) ...... I
//	          an XML declaration inside the frame ............................ O
//	          encoding UTF-8, ISO-8859-1, Windows-1252; DTDs refused ......... I
//	Signal    <Signal Event="BA" EvType="…"> ................................ O
//	          Area, AreaInfo, Zone, PointID, URL children .................... O
//	          Event as a child element, User child ........................... I
//	          element and attribute names in any letter case ................. O (S6 matches case-insensitively)
//	          several Signals per frame, under any enclosing element ......... I
//	          Account: the first of Account, AccountID, Acct, TransmitterID,
//	          TxID, CSID, ID (any case) as an attribute of the Signal
//	          ("signal_attribute:Account"), a child element ("child:Account"),
//	          or an attribute or leaf child of an enclosing element, innermost
//	          first ("enclosing:Signals@Account", "enclosing:Message/Account");
//	          Signal.AccountPlace records which ........................... I
//	          a Signal without an account is kept and ACKed without one
//	          (AccountPlace "none"), as Manitou lands an unknown
//	          transmitter on a system account [§2.4] ...................... I
//	          RLP / ReceiverLinePrefix, found the same way → Message.Line .... I (Manitou routes by RLP + transmitter, S30)
//	          EvType kept as the modifier attr_evtype (vocabulary unknown) ... O/I
//	          codes through alarmcode: SIA-like (BA, FA), Contact ID forms ... I (S32: Manitou codes are SIA-like)
//	          AreaInfo → Event.Text; Zone, else PointID → zone ............... I (§3.3)
//	          URL → media_portal, or the kind its Type/Kind attribute names .. I
//	          other attributes and leaf children → attr_<lower-case name> .... I
//	Photo     <Binary Ext RawNo FrameNo Length><Data Length>base64</Data> .... O
//	          RawNo names the ACK of the preceding signal; the image is
//	          checked as base64 and measured, never put in Detail; Kind
//	          "photo", no events .............................................. O/I
//	Heartbeat <Heartbeat …/> with an optional Passkey, <Ping/> ............... O
//	          <MessageType>HEARTBEAT</MessageType> ........................... O (S6 is_ping)
//	          with Options.Auth, a heartbeat needs a Passkey Auth accepts;
//	          any other frame carrying a Passkey needs one Auth accepts ...... I
//	          Sender: Source, SourceID or ReceiverID, found like the account . I
//	Ack       STX<?xml version="1.0"?><Ack><RawNo>12 base-62</RawNo></Ack>ETX  O
//	          RawNo = base-62 digest of the frame's XML (RawNo), so a
//	          retransmission is acknowledged with the same one ............... I (S6 draws it at random)
//	Nak       STX<?xml version="1.0"?><Nak Index="…" Code="…"/>ETX ......... O (Code="10" seen)
//	          Index: the 1-based Signal/Binary refused, 0 the frame .......... I
//	          Code table NakMalformed … NakUnknownType ....................... I
//	Sequence  a Seq, Sequence, MsgId or Index attribute of the root element,
//	          else of the first item; else the RawNo ......................... I
//	Time      no sender time is known: Message.Timestamp stays zero ......... I
//
// The sending side (encode.go), alarmrx in a cloud's place towards an
// automation platform's Manitou receiver, one Signal per frame,
// stop-and-wait:
//
//	EncodeSignal  STX<?xml version="1.0"?><Signal Event Account Seq>…</Signal>ETX, UTF-8
//	          Event attribute; Area, AreaInfo, Zone, PointID, URL ......... O
//	          Contact ID as E/R/P + code; User child; URL Type clip/live/
//	          snapshot; attr_* extras as leaf children; Account and Seq
//	          attributes of the Signal ........................................ I
//	          the receive time is not sent (no element known) ................ I
//	EncodeHeartbeat <Heartbeat Seq="…"/>; EncodeHeartbeatAuth adds Source
//	          and Passkey ...................................... O (Passkey) / I (Seq, Source)
//	ParseReply Ack → OK, Text the RawNo (no sequence echoed) ................ O
//	          Nak → not OK; Retry for Code 30 and unknown codes, not for
//	          10, 20, 21, 40, 50 ............................................... I
//	SplitReply STX … ETX, cap MaxReplyBytes (4 KiB) .......................... O/I
//
// Redact removes every Passkey (attribute or element) from the evidence
// copy with the repository's xmlredact engine, keeping STX and ETX; a
// frame in ISO-8859-1 or Windows-1252 is read byte for byte, so the
// evidence is the bytes as received less the passkey.
//
// The codec is pure: bytes in, values out, no I/O, no clock, no
// randomness. It imports the standard library, protocols, protocols/alarmcode
// and protocols/internal/xmlredact only.
package manitou
