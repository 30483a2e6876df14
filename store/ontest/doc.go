// Package ontest owns the accounts' on-test periods (scopes, checks, expiry and warnings) and the station events that log them, behind the narrow Engine it declares; the account index, the sites' live views and the visits follow it through the hooks of Options.
// It must not import the store or another domain part, only store/core, the protocols' vocabulary and the engine's helpers (rows, constraint codes).
package ontest
