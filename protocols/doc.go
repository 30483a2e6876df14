// Package protocols holds the vocabulary shared by every alarm protocol codec
// of alarmrx: the decoded Event and Message, the Codec contract a listener
// drives, the event Category and Qualifier, and FrameError with its closed set
// of reasons.
//
// Package protocols and its sub-packages do no I/O: they take bytes and give
// values (or reply bytes) back. They never log, never read a clock (the
// current time is passed in) and import nothing beyond the standard library
// and one another: a codec may use sia's or contactid's tables, and the
// registry lists the codecs. Nothing under protocols imports the receiver,
// the store or the daemon.
package protocols
