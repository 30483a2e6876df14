// Package outbox owns the automation outputs' outbox: the rows queued for each output in the transaction that stores a signal or an incident step, their delivery, attempts and lag, and the rows settled as undeliverable, behind the narrow Engine it declares.
// It must not import the store or another domain part, only store/core, the protocols' vocabulary and the engine's helpers (rows, constraint codes); the incidents, the commit path and the gauges reach it through the hooks of Options and its in-transaction functions.
package outbox
