// Package surgard decodes and encodes Sur-Gard automation records, the line
// protocol Sur-Gard receivers (MLR2, MLR2000, System I–5) and the boxes that
// emulate them send to central-station automation [protocols.md §4]: Contact
// ID with 4- and 10-digit accounts, SIA, receiver status, heartbeats, each
// ended by DC4 (0x14) and answered with ACK (0x06) or NAK (0x15). Records
// may carry the optional 4-byte B32 header of TCP automation ports; they are
// decoded as without it and answered in the same form (B32Header).
//
// The codec is pure: bytes in, values out, no I/O and no clock.
//
// It imports the standard library and protocols only; never the receiver,
// the store or the daemon.
package surgard
