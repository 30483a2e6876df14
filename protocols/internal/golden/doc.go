// Package golden runs the golden-file tests of the protocol packages. A
// golden file holds one case: its input Go-quoted on the first line (so LF,
// CR and DC4 are visible), a line of ten dashes, then the expected result
// (indented JSON or the error text). `go test -update` rewrites the files
// from the case table.
//
// Only the protocol packages' tests import it; it imports the standard
// library only.
package golden
