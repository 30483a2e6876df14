// Package core is the vocabulary every part of the store shares: who makes a change (Actor), the errors a change is refused with, list limits, the incident and the duration as the parts name them, the SQL Dialect an engine implements, and the audit log's writer that every part writes to inside its own transaction.
// It imports only the standard library, so that the engine-independent domain parts and the top store package can all import it without a cycle.
package core
