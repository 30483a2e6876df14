// Package dc09 implements SIA DC-09, "Internet Protocol Event Reporting":
// the frame alarm panels send over TCP and UDP to a central-station
// receiver, and the receiver's replies.
//
// It accepts the frame grammar shared by the 2007, 2013 and 2017/2021
// editions, which only added optional blocks:
//
//	<LF><crc><0LLL>"[*]<id>"<seq>[R<rcvr>]L<line>#<acct>[<data>]{[<xdata>]}[_HH:MM:SS,MM-DD-YYYY]<CR>
//
// with the CRC-16/ARC checksum, the SIA-DCS (DC-03 event data, decoded by
// package sia), ADM-CID (Contact ID, decoded by package contactid) and NULL
// (link test) tokens, extended data blocks with unknown IDs kept, AES-128,
// -192 and -256 in CBC mode with a zero IV (keys as hex digits or as the
// ASCII bytes some panels use), the +20/−40 s timestamp window, and the
// ACK, *ACK, NAK and DUH replies.
//
// A Codec is the protocols.Codec a listener drives: Split frames a stream,
// Decode checks and decodes one frame, Reply encodes the answer. Encode and
// Parse are the client side, for the panel simulator. A Codec is also a
// protocols.Redactor: the copy of a frame the receiver stores has the value
// of every key-change block [K…] blanked, and a Frame's JSON never shows
// one either.
//
// It tolerates what panels in the field send (protocols.md §3.13), and
// reports each tolerated departure in Message.Deviations: a wrong length
// field when the CRC is right, the CRC as two raw bytes (answered in the
// same form), lower-case hex digits, an L without digits, no L at all (read
// as line 0; reported with no_receiver too when R is also missing; the reply
// leaves out what the frame left out), NULs after the CR, data without its
// "#acct|", timestamps outside the window on plain frames (unless configured
// otherwise). Event codes the tables do not know, and data the payload
// parsers cannot read, are acknowledged and kept as unknown events, never
// refused.
//
// It deliberately does not:
//
//   - do I/O, read a clock or log: bytes in, values and reply bytes out;
//     the current time is passed in;
//   - send RSP replies or key changes ([K…] blocks), or any data back to the
//     panel beyond ACK, NAK and DUH;
//   - reassemble multi-block messages (test plan C.2.3.7, rare on IP); each
//     frame stands alone;
//   - deduplicate retransmissions: that needs memory across frames, and the
//     receiver keeps it;
//   - speak the proprietary Osborne-Hoffman transport some receivers accept.
//
// Spec tags in comments, such as [DC-09 §3.8], cite the sections of
// docs/protocols.md that summarise the standard; tags that name an edition,
// such as [DC-09-2013 §5.5.1.8], cite the standard's own clause as quoted
// there.
//
//	c := dc09.New(dc09.Options{Keys: lookup})
//	m, err := c.Decode([]byte("\nED280035\"SIA-DCS\"0001L0#1234[#1234|NBA01]_12:00:00,01-01-2024\r"), now)
//	reply := c.Reply(m, err, now) // "\n1BC10012\"ACK\"0001L0#1234[]\r"
//
// It imports the standard library and protocols only; never the receiver,
// the store or the daemon.
package dc09
