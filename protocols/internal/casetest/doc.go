// Package casetest holds the assertions the protocol packages' case tables
// share.
//
// Only the protocol packages' tests import it; it imports the standard
// library and protocols only.
package casetest
