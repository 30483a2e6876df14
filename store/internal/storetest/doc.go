// Package storetest holds what the store parts' tests share: a dialect of
// numbered placeholders to run each part's SQL rebound, as a second engine
// would, and a settable clock. Only tests import it; it imports store/core
// and store/sqlite only.
package storetest
