// Package sia decodes and encodes the event data of the SIA format,
// ANSI/SIA DC-03-1990.01 (R2003.10), "SIA Format Protocol for Alarm System
// Communications".
//
// It implements:
//
//   - the flattened event data carried by SIA DC-09 SIA-DCS frames (all
//     editions, 2007 to 2021), by Sur-Gard "S" automation records and by
//     DC-07 receivers: "#acct|Nri1/BA012|Atext", with modifiers, several
//     events per block, text blocks and the departures from the standard
//     that panels in the field are known to make: ParsePayload,
//     FormatPayload;
//   - the DC-03 event-code table, plus the vendor codes Ajax and Galaxy
//     panels send, with each code's category (design.md §5), what its
//     address designates and whether it reports a restore: Lookup, Codes.
//
// Unknown event codes are not errors: a receiver that rejects a message for
// an unknown code makes the panel repeat it for ever (home-assistant/core
// issue 88474, Ajax code PE).
//
// Package sia does no I/O and reads no clock. It does not run the DC-03
// session (acknowledgement timing, retries, the FSK modem), the DC-03
// block layer (no transport alarmrx serves carries blocks) or the DC-09
// frame; it decodes what those layers deliver.
//
//	account, events, err := sia.ParsePayload([]byte("#1234|Nri1/BA012"))
//	// account "1234"; one event: BA "Burglary Alarm", zone 012, partition 1
//
// It imports the standard library and protocols only; never the receiver,
// the store or the daemon.
package sia
