package sqlite

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// IntegrityCheck says when SQLite's quick_check reads an existing
// database: it reads every page of the file, about a second per GiB, so
// at the start of a large store it is the longest part of the start-up.
type IntegrityCheck int

const (
	// CheckAtOpen runs it in Open, which refuses a database that fails
	// it (the zero value).
	CheckAtOpen IntegrityCheck = iota
	// CheckAfterStart runs it from Start on, on a connection of its own,
	// while the database serves. A database that fails it is fenced from
	// then on, as a lost file is (Fenced): every commit fails, so every
	// protocol answers negatively and senders go to their backup
	// receiver, readiness fails, and the log says to restore a backup.
	CheckAfterStart
	// CheckOff leaves it out.
	CheckOff
)

// ErrDatabaseDamaged (datadir.go) is the error of a database that fails
// its check, at open or after start.

// integrityStates are the values of alarmrx_store_integrity_check's
// state label: a closed set.
var integrityStates = []string{"off", "running", "passed", "damaged", "error"}

func newIntegrityGauge(reg prometheus.Registerer) *prometheus.GaugeVec {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "alarmrx_store_integrity_check",
		Help: "1 for the state of the database's integrity check (SQLite quick_check) since the start: off (not run after start), running, passed, damaged (acknowledgements stopped: restore a backup), error (the check could not run to its end).",
	}, []string{"state"})
	reg.MustRegister(g)
	return g
}

func (db *DB) setIntegrityState(state string) {
	for _, s := range integrityStates {
		v := 0.0
		if s == state {
			v = 1
		}
		db.m.integrity.WithLabelValues(s).Set(v)
	}
}

// checkAfterStart runs the quick_check of CheckAfterStart until it ends
// or ctx does (Close), and fences a damaged database.
func (db *DB) checkAfterStart(ctx context.Context) {
	defer close(db.checkDone)
	// A pool of its own, of one read-only connection, so that the check
	// takes none of the readers' connections for its minutes.
	pool, err := openPool(dsn(db.path, db.opts, true), db.dialect)
	if err == nil {
		pool.SetMaxOpenConns(1)
		defer func() { _ = pool.Close() }()
	}
	start := time.Now()
	db.log.Info("integrity check running beside the service", zap.String("path", db.path))
	if err == nil {
		err = quickCheck(ctx, pool, db.path)
	}
	switch {
	case err == nil:
		db.setIntegrityState("passed")
		db.log.Info("integrity check passed", zap.String("path", db.path), zap.Duration("took", time.Since(start)))
	case ctx.Err() != nil:
		// Closing: the check did not end; the next start runs it again.
		db.setIntegrityState("error")
		db.log.Info("integrity check stopped by the close before its end", zap.String("path", db.path))
	case errors.Is(err, ErrDatabaseDamaged):
		db.setIntegrityState("damaged")
		db.fenceWith(err)
		db.log.Error("database fails its integrity check: acknowledgements stopped; stop alarmrx and restore the database from a backup",
			zap.String("path", db.path), zap.Error(err))
	default:
		db.setIntegrityState("error")
		db.log.Error("integrity check could not run to its end; the database stays in service", zap.String("path", db.path),
			zap.Error(fmt.Errorf("store: integrity check: %w", err)))
	}
}

// fenceWith fences the database with err: every commit fails from now on
// and the store is unhealthy. The first fence stays.
func (db *DB) fenceWith(err error) bool {
	if !db.fence.CompareAndSwap(nil, &err) {
		return false
	}
	db.MarkUnhealthy(err)
	return true
}
