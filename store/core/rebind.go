package core

import (
	"context"
	"database/sql/driver"
)

// RebindConnector returns c with every query text its connections take
// (prepared, executed or queried, in a transaction or not) rewritten by
// d.Rebind: an engine whose driver does not read "?" placeholders opens
// its pools on it, and the domain parts' queries need no change.
func RebindConnector(c driver.Connector, d Dialect) driver.Connector {
	return &rebindConnector{c: c, d: d}
}

type rebindConnector struct {
	c driver.Connector
	d Dialect
}

func (r *rebindConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := r.c.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &rebindConn{Conn: conn, d: r.d}, nil
}

func (r *rebindConnector) Driver() driver.Driver { return r.c.Driver() }

// rebindConn forwards to the driver's connection, rebinding query texts;
// an optional interface the driver's connection lacks answers as
// database/sql expects of a connection without it.
type rebindConn struct {
	driver.Conn
	d Dialect
}

func (c *rebindConn) Prepare(query string) (driver.Stmt, error) {
	return c.Conn.Prepare(c.d.Rebind(query))
}

func (c *rebindConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if p, ok := c.Conn.(driver.ConnPrepareContext); ok {
		return p.PrepareContext(ctx, c.d.Rebind(query))
	}
	return c.Conn.Prepare(c.d.Rebind(query))
}

func (c *rebindConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if e, ok := c.Conn.(driver.ExecerContext); ok {
		return e.ExecContext(ctx, c.d.Rebind(query), args)
	}
	return nil, driver.ErrSkip
}

func (c *rebindConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if q, ok := c.Conn.(driver.QueryerContext); ok {
		return q.QueryContext(ctx, c.d.Rebind(query), args)
	}
	return nil, driver.ErrSkip
}

func (c *rebindConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if b, ok := c.Conn.(driver.ConnBeginTx); ok {
		return b.BeginTx(ctx, opts)
	}
	return c.Conn.Begin() //nolint:staticcheck // the driver has nothing newer
}

func (c *rebindConn) Ping(ctx context.Context) error {
	if p, ok := c.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *rebindConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *rebindConn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

// ArgConverter is a Dialect whose driver takes some Go values in another
// form: PostgreSQL's flags are integer columns, as SQLite's are, and its
// driver refuses a bool bound to one.
type ArgConverter interface {
	// ConvertArg returns v as the driver is to take it.
	ConvertArg(v any) any
}

func (c *rebindConn) CheckNamedValue(nv *driver.NamedValue) error {
	if a, ok := c.d.(ArgConverter); ok {
		nv.Value = a.ConvertArg(nv.Value)
	}
	if n, ok := c.Conn.(driver.NamedValueChecker); ok {
		return n.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}
