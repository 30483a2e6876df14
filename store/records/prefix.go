package records

import (
	"context"
	"fmt"
	"strings"
)

// PrefixMode is how the senders of a receiver (or one XML sender) send
// account numbers, given the receiver's account prefix. It is stated, not
// guessed from the number's first characters [automation-research.md §4.1:
// a per-receiver or per-sender rule, applied before lookup, never guessed].
type PrefixMode string

// The prefix modes.
const (
	// PrefixAdd: senders send numbers without the prefix (a panel knows
	// only its own number); the prefix is always put in front, so with
	// prefix 9, 123 is account 9123 and 9123 is account 99123.
	PrefixAdd PrefixMode = "add"
	// PrefixExpect: senders send numbers with the prefix already (a cloud
	// holding the monitoring-station account number, such as CHeKT's
	// "ABC1234"); numbers are taken as sent. A number that lacks the prefix
	// is stored as sent too: it matches no account, since none on the
	// receiver lacks its prefix, so it raises an unknown-account incident,
	// and the pipeline counts and logs it.
	PrefixExpect PrefixMode = "expect"
)

// PrefixModes are the valid modes, for messages and validation.
var PrefixModes = []string{string(PrefixAdd), string(PrefixExpect)}

// ParsePrefixMode reads a mode; "" is PrefixAdd, the default of receivers.
func ParsePrefixMode(s string) (PrefixMode, error) {
	switch m := PrefixMode(strings.ToLower(strings.TrimSpace(s))); m {
	case "":
		return PrefixAdd, nil
	case PrefixAdd, PrefixExpect:
		return m, nil
	}
	return "", fmt.Errorf("account_prefix_mode must be add or expect, not %q", s)
}

// ApplyPrefix returns the account number as stored for a number a sender
// sent (trimmed and upper-cased already), by the rule of mode: with
// PrefixAdd the prefix is put in front of every number, whatever it
// starts with; with PrefixExpect the number is taken as sent. "" stays "".
func ApplyPrefix(prefix string, mode PrefixMode, sent string) string {
	if prefix == "" || sent == "" || mode == PrefixExpect {
		return sent
	}
	return prefix + sent
}

// LacksPrefix reports whether an account number lacks a receiver's prefix.
func LacksPrefix(prefix, number string) bool {
	return prefix != "" && number != "" && !strings.HasPrefix(number, prefix)
}

// SentNumber is the inverse of ApplyPrefix: the number a receiver's senders
// send for a stored account number. ok is false when no number they send
// becomes it (with PrefixAdd, a number that lacks the prefix).
func SentNumber(prefix string, mode PrefixMode, number string) (string, bool) {
	if prefix == "" || mode == PrefixExpect {
		return number, true
	}
	rest, ok := strings.CutPrefix(number, prefix)
	if !ok || rest == "" {
		return "", false
	}
	return rest, true
}

// prefixRule is one receiver's prefix and mode.
type prefixRule struct {
	prefix string
	mode   PrefixMode
}

// LoadRules reads every receiver's rule into memory, for showing accounts'
// sent numbers without a query; the store calls it at Open and after the
// receivers change.
func (k *Kinds) LoadRules(ctx context.Context) error {
	rows, err := k.rdb.QueryContext(ctx, `SELECT number, account_prefix, account_prefix_mode FROM receivers`)
	if err != nil {
		return fmt.Errorf("store: receivers: %w", err)
	}
	defer rows.Close()
	rules := map[int]prefixRule{}
	for rows.Next() {
		var n int
		var r prefixRule
		if err := rows.Scan(&n, &r.prefix, &r.mode); err != nil {
			return fmt.Errorf("store: receivers: %w", err)
		}
		rules[n] = r
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: receivers: %w", err)
	}
	k.rules.Store(&rules)
	return nil
}

// rule returns a receiver's prefix rule (no prefix for an unknown one).
func (k *Kinds) rule(receiver int) prefixRule {
	if m := k.rules.Load(); m != nil {
		if r, ok := (*m)[receiver]; ok {
			return r
		}
	}
	return prefixRule{mode: PrefixAdd}
}

// sentNumber fills an account's SentNumber for the API.
func (k *Kinds) sentNumber(a *Account) {
	r := k.rule(a.Receiver)
	a.SentNumber = nil
	if n, ok := SentNumber(r.prefix, r.mode, a.Number); ok {
		a.SentNumber = &n
	}
}
