// Package contactid decodes and encodes Ademco Contact ID messages as
// standardised in SIA DC-05-1999.09 ("Ademco Contact ID").
//
// It implements:
//
//   - the 16-digit message "ACCT MT Q XYZ GG CCC S" with message types 18
//     and 98, qualifiers 1, 3 and 6, the digit alphabet 0-9 B-F (A read as
//     0) and the modulo-15 check digit: Parse, Checksum, Encode;
//   - the reduced form carried in the data block of SIA DC-09 ADM-CID
//     frames (all editions, 2007 to 2021), "#acct|QXYZ GG CCC":
//     ParsePayload, FormatPayload, Format;
//   - the DC-05 event-code table with the category of every code
//     (design.md §5), whether CCC is a zone or a user, and the equivalent
//     SIA DC-03 codes: Lookup, Codes.
//
// Unknown event codes are not errors: vendors send codes outside the table
// (a Trikdis communicator reports 1700 99 999 on start-up), and a receiver
// must store them rather than reject the message.
//
// Package contactid does no I/O and reads no clock. It does not handle the
// PSTN side of DC-05 (handshake and kissoff tones, DTMF), the records a
// receiver wraps Contact ID in for automation (Sur-Gard, Radionics), or the
// 10-digit account variant.
//
//	m, err := contactid.Parse([]byte("1234181131010158"))
//	if err != nil { … }              // errors.Is(err, contactid.ErrChecksum)
//	ev := m.Event()                  // 131 "Perimeter", zone 015, group 01
//
// It imports the standard library and protocols only; never the receiver,
// the store or the daemon.
package contactid
