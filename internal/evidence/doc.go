// Package evidence bounds what is kept of refused input (rejected frames,
// failed logins): a budget per source address and one for all sources, per
// minute. It imports no other alarmrx package.
//
// It is shared by the receiver, the HTTP API and the daemon, and must not
// import any of them.
package evidence
