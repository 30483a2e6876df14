// Package reports owns the morning reports as stored and mailed, their deliveries and recipients, and the signed unsubscribe links, behind the narrow Engine it declares; what a report is built from (signals, incidents, sites) is read by the caller.
// It must not import the store or another domain part, only store/core and the engine's helpers (rows, constraint codes); portal users and settings reach it through the hooks of Options.
package reports
