package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/alarmrx/alarmrx/store/core"
	"github.com/alarmrx/alarmrx/store/sqlite"
	"go.uber.org/zap"
)

// The kinds of record retention prunes (configs store.retention), also the
// values of the kind label of alarmrx_store_pruned_rows_total.
const (
	// RetainOutbox: outbox rows an output has settled (delivered or
	// undeliverable), by the time of their signal or incident step.
	RetainOutbox = "outbox"
	// RetainIncidents: closed incidents, by the time they were closed,
	// with their action log and their links to signals.
	RetainIncidents = "incidents"
	// RetainSignals: signals, by receipt, with their notes.
	RetainSignals = "signals"
	// RetainFrames: frames of any status, by receipt, with the
	// idempotency keys of the messages they carried.
	RetainFrames = "frames"
	// RetainRejectedFrames: frames with status rejected (refused input
	// kept as evidence), by receipt; they usually go sooner than frames.
	RetainRejectedFrames = "rejected_frames"
	// RetainAuditLog: the audit log, by the time of the change.
	RetainAuditLog = "audit_log"
	// RetainStationEvents: the events the station raised itself (unknown
	// account, on-test transitions), by their time.
	RetainStationEvents = "station_events"
	// RetainPollEvidence: the evidence of polls kept per receiver, account
	// and listener, by the last poll: an account that stopped polling
	// long ago.
	RetainPollEvidence = "poll_evidence"
)

// Retention says how long each kind of record is kept and how pruning
// treats the writer.
type Retention struct {
	// Periods by kind (the Retain* names): a row older than its kind's
	// period is pruned; 0 or no entry keeps the kind forever. A name the
	// store has no kind for is ignored.
	Periods map[string]time.Duration
	// BatchRows is the most rows of one kind deleted in one transaction;
	// 0 means DefaultPruneBatch. The writer also takes the ingest batches,
	// and a small transaction keeps an acknowledgement from waiting long
	// behind it.
	BatchRows int
	// VacuumPages is the most free pages one incremental vacuum step gives
	// back to the file system; 0 leaves the file as it is (free pages are
	// still reused by new rows).
	VacuumPages int
}

// DefaultPruneBatch is the rows of one kind a pruning transaction deletes
// when Retention.BatchRows is 0.
const DefaultPruneBatch = 1000

// maxVacuumSteps bounds the incremental vacuum steps of one round; what is
// left is freed at the next rounds.
const maxVacuumSteps = 64

// PruneResult is what one pruning round removed.
type PruneResult struct {
	// Rows deleted by kind; the rows a kind takes along (an incident's
	// actions, a frame's idempotency keys) are not counted, except outbox
	// rows, which count under RetainOutbox whoever took them.
	Rows map[string]int
	// FreedPages is the pages incremental vacuum gave back to the file
	// system.
	FreedPages int64
}

// Removed is the rows deleted in all kinds together.
func (r PruneResult) Removed() int {
	n := 0
	for _, v := range r.Rows {
		n += v
	}
	return n
}

// pruneKind is one kind of record and how its rows are picked and deleted.
// The kinds run in the order of pruneKinds, the referencing before the
// referenced (outbox and incidents before signals, signals before frames),
// so that a row whose references have just gone may go in the same round.
type pruneKind struct {
	name string
	// del, when set, is the whole batch: a DELETE of at most ?(2nd) rows
	// older than ?(1st), oldest first; pick, with and key are then unused.
	del string
	// pick selects the key of at most ?(2nd) rows older than ?(1st) that
	// may go, oldest first, by an index (TestPruneQueriesUseIndexes).
	pick string
	// with are deletes of the rows that reference the picked ones, run
	// first in the same transaction; "%s" is the picked keys' placeholders.
	with []dependent
	// table and key name the rows deleted.
	table, key string
}

// dependent is a delete of referencing rows; counted, when set, is the kind
// whose count its rows add to.
type dependent struct {
	sql     string
	counted string
}

// timeKind is a kind of its own: a table of ids nothing references,
// pruned by the Unix-nanosecond time column at (which must have an index).
// A kind of that shape is added with one line in pruneKinds. (On SQLite,
// id is the rowid.)
func timeKind(name, table, at string) pruneKind {
	return pruneKind{name: name, table: table, key: "id", pick: `SELECT id FROM ` + table + ` WHERE ` + at + ` < ?
		AND id < (SELECT max(id) FROM ` + table + `) ORDER BY ` + at + ` LIMIT ?`}
}

// keyKind is a kind of its own in a table nothing references, by key (one
// column or several, as a WITHOUT ROWID table has), pruned by the
// Unix-nanosecond time column at (which must have an index). Its keys are
// not ids anything counts on, so its newest row may go too.
func keyKind(name, table, key, at string) pruneKind {
	return pruneKind{name: name, table: table, del: `DELETE FROM ` + table + ` WHERE (` + key + `) IN
		(SELECT ` + key + ` FROM ` + table + ` WHERE ` + at + ` < ? ORDER BY ` + at + ` LIMIT ?)`}
}

// settledOutbox is an outbox row that its output is done with; only such
// rows are ever pruned, and a pending row keeps its signal and incident.
const settledOutbox = `(delivered_at IS NOT NULL OR undeliverable_at IS NOT NULL)`

// pruneKinds are the kinds in the order a round prunes them.
//
// Every kind with ids keeps its newest row (it picks below the largest):
// SQLite gives a new row the largest rowid plus one, so a table pruned
// empty would hand out its ids again, and ids are what cursors
// (projections), webhooks' idempotency keys and operators' links name.
//
// What an open incident needs never goes: the incident itself (only
// closed ones are picked), its signals (a signal any kept incident links
// is kept), their frames (a frame with a kept signal is kept), and the
// outbox rows of its signals and of itself.
var pruneKinds = []pruneKind{
	{name: RetainOutbox, table: "outbox", key: "id",
		pick: `SELECT o.id FROM outbox o WHERE ` + settledOutbox + ` AND o.created_at < ?
			AND o.id < (SELECT max(id) FROM outbox)
			AND (o.incident_id IS NULL OR NOT EXISTS (SELECT 1 FROM incidents i WHERE i.id = o.incident_id AND i.status = 'open'))
			AND (o.signal_id IS NULL OR NOT EXISTS (SELECT 1 FROM incident_signals x JOIN incidents i ON i.id = x.incident_id
				WHERE x.signal_id = o.signal_id AND i.status = 'open'))
			ORDER BY o.created_at LIMIT ?`},
	{name: RetainIncidents, table: "incidents", key: "id",
		pick: `SELECT i.id FROM incidents i WHERE i.status <> 'open' AND i.resolved_at < ?
			AND i.id < (SELECT max(id) FROM incidents)
			AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.incident_id = i.id AND o.delivered_at IS NULL AND o.undeliverable_at IS NULL)
			ORDER BY i.resolved_at LIMIT ?`,
		with: []dependent{
			{sql: `DELETE FROM outbox WHERE incident_id IN (%s)`, counted: RetainOutbox},
			{sql: `DELETE FROM incident_actions WHERE incident_id IN (%s)`},
			{sql: `DELETE FROM incident_signals WHERE incident_id IN (%s)`},
		}},
	// A signal's notes go with it by their foreign key (ON DELETE CASCADE).
	// Signals have no time index (a signal's received_at is its frame's,
	// migration 0018): the oldest are found through their frames, by
	// frames_received_at and the signals' (frame_id, idx) index.
	{name: RetainSignals, table: "signals", key: "id",
		pick: `SELECT s.id FROM frames f JOIN signals s ON s.frame_id = f.id WHERE f.received_at < ?
			AND s.id < (SELECT max(id) FROM signals)
			AND NOT EXISTS (SELECT 1 FROM incident_signals x WHERE x.signal_id = s.id)
			AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.signal_id = s.id AND o.delivered_at IS NULL AND o.undeliverable_at IS NULL)
			ORDER BY f.received_at LIMIT ?`,
		with: []dependent{{sql: `DELETE FROM outbox WHERE signal_id IN (%s)`, counted: RetainOutbox}}},
	{name: RetainFrames, table: "frames", key: "id",
		pick: `SELECT f.id FROM frames f WHERE f.received_at < ?
			AND f.id < (SELECT max(id) FROM frames)
			AND NOT EXISTS (SELECT 1 FROM signals s WHERE s.frame_id = f.id)
			ORDER BY f.received_at LIMIT ?`,
		with: []dependent{{sql: `DELETE FROM message_ids WHERE frame_id IN (%s)`}}},
	{name: RetainRejectedFrames, table: "frames", key: "id",
		pick: `SELECT f.id FROM frames f WHERE f.status = 'rejected' AND f.received_at < ?
			AND f.id < (SELECT max(id) FROM frames)
			AND NOT EXISTS (SELECT 1 FROM signals s WHERE s.frame_id = f.id)
			ORDER BY f.received_at LIMIT ?`,
		with: []dependent{{sql: `DELETE FROM message_ids WHERE frame_id IN (%s)`}}},
	timeKind(RetainAuditLog, "audit_log", "at"),
	timeKind(RetainStationEvents, "station_events", "at"),
	keyKind(RetainPollEvidence, "poll_evidence", "receiver, account, listener", "last_at"),
}

// RetentionKinds returns the kinds this schema prunes, in pruning order.
func RetentionKinds() []string {
	out := make([]string, len(pruneKinds))
	for i, k := range pruneKinds {
		out[i] = k.name
	}
	return out
}

// Prune runs one retention round at now: for each kind with a period, it
// deletes the rows older than now minus the period, at most r.BatchRows in
// one transaction on the writer, oldest first, until none is left; then it
// gives free pages back to the file system by incremental vacuum in
// bounded steps. It is called off the acknowledgement path (the daemon
// does, every store.retention.interval); ctx ends it between two
// transactions. The rows deleted are counted in
// alarmrx_store_pruned_rows_total as each transaction commits.
func (s *Store) Prune(ctx context.Context, now time.Time, r Retention) (PruneResult, error) {
	res := PruneResult{Rows: map[string]int{}}
	batch := r.BatchRows
	if batch <= 0 {
		batch = DefaultPruneBatch
	}
	for _, k := range pruneKinds {
		period := r.Periods[k.name]
		if period <= 0 {
			continue
		}
		cutoff := now.Add(-period).UnixNano()
		for {
			if err := ctx.Err(); err != nil {
				return res, err
			}
			counts, picked, err := s.pruneBatch(ctx, k, cutoff, batch)
			for name, n := range counts {
				res.Rows[name] += n
				s.m.pruned.WithLabelValues(name).Add(float64(n))
			}
			if err != nil {
				return res, fmt.Errorf("store: prune %s: %w", k.name, err)
			}
			if picked < batch {
				break
			}
		}
	}
	freed, err := s.vacuum(ctx, r.VacuumPages)
	res.FreedPages = freed
	return res, err
}

// pruneBatch deletes, in one transaction, at most limit rows of kind k
// older than cutoff and what references them, and returns the rows deleted
// by kind and how many were picked.
func (s *Store) pruneBatch(ctx context.Context, k pruneKind, cutoff int64, limit int) (map[string]int, int, error) {
	var counts map[string]int
	picked := 0
	err := s.write(ctx, func(ctx context.Context, tx *sql.Tx) error {
		counts = map[string]int{}
		if k.del != "" {
			r, err := tx.ExecContext(ctx, k.del, cutoff, limit)
			if err != nil {
				return err
			}
			n, _ := r.RowsAffected()
			if picked = int(n); n > 0 {
				counts[k.name] = int(n)
			}
			return nil
		}
		rows, err := tx.QueryContext(ctx, k.pick, cutoff, limit)
		if err != nil {
			return err
		}
		var ids []any
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				_ = rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		picked = len(ids)
		if picked == 0 {
			return nil
		}
		// The keys go as bound parameters, one each: a batch is at most
		// configs' batch limit, well below SQLite's 32766 variables.
		in := core.Marks(len(ids))
		for _, d := range k.with {
			r, err := tx.ExecContext(ctx, fmt.Sprintf(d.sql, in), ids...)
			if err != nil {
				return err
			}
			if n, _ := r.RowsAffected(); d.counted != "" && n > 0 {
				counts[d.counted] += int(n)
			}
		}
		r, err := tx.ExecContext(ctx, `DELETE FROM `+k.table+` WHERE `+k.key+` IN (`+in+`)`, ids...)
		if err != nil {
			return err
		}
		if n, _ := r.RowsAffected(); n > 0 {
			counts[k.name] += int(n)
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return counts, picked, nil
}

// vacuum gives free pages back to the file system, at most pages a step
// and maxVacuumSteps steps, each its own short transaction on the writer.
// A database without incremental auto-vacuum has nothing to give: its
// free pages are reused by new rows (Open says so once).
func (s *Store) vacuum(ctx context.Context, pages int) (int64, error) {
	v, ok := s.db.(vacuumer)
	if pages <= 0 || !s.incrementalVacuum || !ok {
		return 0, nil
	}
	// The free list is read first on a reader, so that a round with
	// nothing to free never takes the writer.
	free, err := v.FreePages(ctx)
	if err != nil || free == 0 {
		return 0, err
	}
	var total int64
	for range maxVacuumSteps {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		n, err := v.IncrementalVacuum(ctx, pages)
		total += n
		s.m.vacuumed.Add(float64(n))
		if err != nil || n < int64(pages) {
			return total, err
		}
	}
	return total, nil
}

// checkAutoVacuum notes whether the file can shrink. A database created
// before incremental auto-vacuum was set at creation keeps working as it
// is: pruned rows' pages go on the free list and new rows reuse them, so
// it stops growing, but it never gets smaller. Converting it takes a full
// VACUUM, which rewrites the whole file (minutes and twice the space for
// a large store, with the writer held all along), so it is never done
// behind the operator's back at start-up: the line names the offline
// step (Compact, alarmrx compact).
func (s *Store) checkAutoVacuum(ctx context.Context) error {
	v, ok := s.db.(vacuumer)
	if !ok {
		return nil // the database's own autovacuum
	}
	mode, err := v.AutoVacuum(ctx)
	if err != nil {
		return err
	}
	s.incrementalVacuum = mode == sqlite.AutoVacuumIncremental
	if !s.incrementalVacuum {
		s.log.Info("the database has no incremental auto-vacuum: the space of pruned rows is reused, but the file will not shrink "+
			"until it is converted offline", zap.Int("auto_vacuum", mode),
			zap.String("offline_step", "stop alarmrx, then run alarmrx compact with the same --config"))
	}
	return nil
}
