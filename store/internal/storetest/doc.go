// Package storetest holds what the store parts' tests share: an engine
// started on a test's database, a dialect of numbered placeholders to run
// each part's SQL rebound as a second engine would, a settable clock and a
// recorder of the hooks a part calls. Only tests import it; of alarmrx it
// imports store/core and store/sqlite only.
package storetest
