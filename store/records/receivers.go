package records

import (
	"context"
	"fmt"

	"github.com/alarmrx/alarmrx/store/core"
)

// Receiver is a logical receiver of the station (design.md §4). Receivers
// are declared in the configuration, which owns their listeners; the store
// keeps a copy so that accounts can refer to them.
type Receiver struct {
	Number        int    `json:"number"`
	Name          string `json:"name"`
	AccountPrefix string `json:"account_prefix"`
	// AccountPrefixMode is how the receiver's senders send numbers: the
	// rule that makes an account number of a number sent, for signals and
	// for numbers given to the API or an import as sent_number. "" is add.
	AccountPrefixMode PrefixMode `json:"account_prefix_mode"`
	Accounts          int        `json:"accounts"`
}

// Receivers lists the receivers with their account counts.
func (k *Kinds) Receivers(ctx context.Context) ([]Receiver, error) {
	rows, err := k.rdb.QueryContext(ctx, `SELECT r.number, r.name, r.account_prefix, r.account_prefix_mode,
		(SELECT count(*) FROM accounts a WHERE a.receiver = r.number) FROM receivers r ORDER BY r.number`)
	if err != nil {
		return nil, fmt.Errorf("store: receivers: %w", err)
	}
	out, err := core.AppendRows([]Receiver{}, rows, func(sc core.RowScanner) (Receiver, error) {
		var r Receiver
		err := sc.Scan(&r.Number, &r.Name, &r.AccountPrefix, &r.AccountPrefixMode, &r.Accounts)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: receivers: %w", err)
	}
	return out, nil
}

// FindAccount returns the account a number sent on a receiver names: the
// number is normalised and the receiver's prefix rule applied, as for a
// signal.
func (k *Kinds) FindAccount(ctx context.Context, receiver int, number string) (*Account, error) {
	var prefix string
	var mode PrefixMode
	if err := k.rdb.QueryRowContext(ctx, `SELECT account_prefix, account_prefix_mode FROM receivers WHERE number = ?`, receiver).
		Scan(&prefix, &mode); err != nil {
		return nil, fmt.Errorf("%w: receiver %d", core.ErrNotFound, receiver)
	}
	n, err := NormaliseAccount(number)
	if err != nil {
		return nil, core.Invalid("number", "%v", err)
	}
	n = ApplyPrefix(prefix, mode, n)
	list, err := k.Accounts.List(ctx, ListOptions{Where: map[string]any{"receiver": receiver, "number": n}})
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("%w: account %s on receiver %d", core.ErrNotFound, n, receiver)
	}
	return &list[0], nil
}
