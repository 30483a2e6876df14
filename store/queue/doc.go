// Package queue owns the operators' queue as the transactions write it: the handling modes, incident kinds and statuses, and the in-transaction incident writer (open or join an account's incident, log its actions, gather the changes to publish after the commit) that the commit path, the links and the outbox's undeliverable rows call.
// It must not import the store or another domain part, only store/core and the protocols' vocabulary; what a signal resolved to is handed in as plain ids.
package queue
