// Package serialport opens RS-232 ports with tarm/serial and keeps them
// open: the receiver reads panels' and legacy receivers' records from them,
// the Sur-Gard output writes automation records to them. It imports no other
// alarmrx package.
package serialport
