package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/alarmrx/alarmrx/internal/fence"
	"github.com/alarmrx/alarmrx/store/core"
	"github.com/alarmrx/alarmrx/store/engine"
)

// A singleton job (supervision, an output's delivery, the morning report,
// the queue sweeps, retention) runs on one node at a time: the node that
// holds its lease. A lease is a row of the leases table, taken and renewed
// by the database's clock, so that nodes whose clocks differ agree on
// when it lapses; its epoch grows at each change of holder and fences the
// work done under an older one. On SQLite, the one node holds every lease
// and no row is written.

// dbNowSQL is the database's clock in Unix nanoseconds.
const dbNowSQL = `(extract(epoch from clock_timestamp()) * 1000000000)::bigint`

// acquireLeaseSQL takes job for holder until ttl from now, or renews it
// when holder has it: it returns the epoch, and no row while another
// node's lease has not lapsed. A holder whose own lease lapsed takes it
// again under a new epoch: what it did under the old one is void.
const acquireLeaseSQL = `INSERT INTO leases (job, holder, epoch, acquired_at, renewed_at, expires_at)
	VALUES (?, ?, 1, ` + dbNowSQL + `, ` + dbNowSQL + `, ` + dbNowSQL + ` + ?)
	ON CONFLICT (job) DO UPDATE SET
		epoch = CASE WHEN leases.holder = excluded.holder AND leases.expires_at > excluded.renewed_at
			THEN leases.epoch ELSE leases.epoch + 1 END,
		acquired_at = CASE WHEN leases.holder = excluded.holder AND leases.expires_at > excluded.renewed_at
			THEN leases.acquired_at ELSE excluded.acquired_at END,
		holder = excluded.holder, renewed_at = excluded.renewed_at, expires_at = excluded.expires_at
	WHERE leases.holder = excluded.holder OR leases.expires_at <= excluded.renewed_at
	RETURNING epoch`

// checkLeaseSQL finds the lease still this node's, by the database's
// clock, and holds its row until the transaction ends: no node takes the
// lease over while a write made under it is being committed.
const checkLeaseSQL = `SELECT 1 FROM leases WHERE job = ? AND holder = ? AND epoch = ? AND expires_at > ` + dbNowSQL + ` FOR SHARE`

// checkLease, first in a write's transaction, makes the write the lease's
// that ctx carries: it fails with fence.ErrLost unless the database still
// gives the lease to this node under the same epoch. A node paused past
// its lease (SIGSTOP) that resumes in the middle of a job so writes
// nothing on stale authority, whatever its own clock says. Without a lease
// (a single node) it returns the epoch 0 and checks nothing.
func (s *Store) checkLease(ctx context.Context, tx *sql.Tx) (epoch int64, err error) {
	l := fence.LeaseOf(ctx)
	if l == nil || !s.jr.shared {
		return 0, nil
	}
	var one int
	err = tx.QueryRowContext(ctx, checkLeaseSQL, l.Job(), s.opts.NodeID, l.Epoch()).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("store: lease %s, epoch %d: %w", l.Job(), l.Epoch(), fence.ErrLost)
	}
	if err != nil {
		return 0, fmt.Errorf("store: lease %s: %w", l.Job(), err)
	}
	return l.Epoch(), nil
}

// Clustered tells that the store is shared by several nodes (PostgreSQL):
// singleton jobs then run under leases.
func (s *Store) Clustered() bool { return s.jr.shared }

// NodeID is this node's name among those sharing the database.
func (s *Store) NodeID() string { return s.opts.NodeID }

// AcquireLease takes or renews this node's lease on job for ttl and
// returns its epoch; held is false while another node holds it. On SQLite
// the node always holds it, at epoch 1.
func (s *Store) AcquireLease(ctx context.Context, job string, ttl time.Duration) (epoch int64, held bool, err error) {
	if !s.jr.shared {
		return 1, true, nil
	}
	err = s.rdb.QueryRowContext(engine.AsProjected(ctx), acquireLeaseSQL, job, s.opts.NodeID, ttl.Nanoseconds()).Scan(&epoch)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("store: lease %s: %w", job, err)
	}
	return epoch, true, nil
}

// ReleaseLease gives job's lease up at once (a clean stop), if this node
// still holds it at epoch: another node takes the job over without
// waiting for it to lapse.
func (s *Store) ReleaseLease(ctx context.Context, job string, epoch int64) error {
	if !s.jr.shared {
		return nil
	}
	rows, err := s.rdb.QueryContext(engine.AsProjected(ctx), `UPDATE leases SET expires_at = 0 WHERE job = ? AND holder = ? AND epoch = ?`,
		job, s.opts.NodeID, epoch)
	if err == nil {
		err = rows.Close()
	}
	if err != nil {
		return fmt.Errorf("store: release lease %s: %w", job, err)
	}
	return nil
}

// Lease is a job's lease as the database holds it.
type Lease struct {
	Job        string
	Holder     string
	Epoch      int64
	AcquiredAt time.Time
	RenewedAt  time.Time
	ExpiresAt  time.Time
	// Held is false once the lease lapsed, by the database's clock.
	Held bool
}

// Node is a node sharing the database, with its last heartbeat.
type Node struct {
	ID          string
	StartedAt   time.Time
	HeartbeatAt time.Time
	HTTPAddr    string
	Version     string
	// Age is how long ago the heartbeat was, by the database's clock.
	Age time.Duration
}

// nodeLive is how recent a heartbeat keeps a node's id its own: another
// process that gives the same store.node_id is refused while it is (the
// daemon beats every second).
const nodeLive = 3 * time.Second

// Heartbeat records that this node is alive (its row of nodes), by the
// database's clock. The row is this process's (its start time) unless it
// went silent for nodeLive: a second process with this node's id gets
// ErrNodeIDInUse, for the leases are held by id, and two processes
// sharing one would both act on a lease.
func (s *Store) Heartbeat(ctx context.Context, httpAddr, version string) error {
	if !s.jr.shared {
		return nil
	}
	ctx = engine.AsProjected(ctx)
	rows, err := s.rdb.QueryContext(ctx, `INSERT INTO nodes (id, started_at, heartbeat_at, http_addr, version)
		VALUES (?, ?, `+dbNowSQL+`, ?, ?) ON CONFLICT (id) DO UPDATE SET started_at = excluded.started_at,
		heartbeat_at = excluded.heartbeat_at, http_addr = excluded.http_addr, version = excluded.version
		WHERE nodes.started_at = excluded.started_at OR nodes.heartbeat_at < excluded.heartbeat_at - ?
		RETURNING id`,
		s.opts.NodeID, s.started.UnixNano(), httpAddr, version, nodeLive.Nanoseconds())
	if err != nil {
		return fmt.Errorf("store: heartbeat: %w", err)
	}
	ours := rows.Next()
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return fmt.Errorf("store: heartbeat: %w", err)
	}
	if ours {
		return nil
	}
	// The row is another process's whatever its age says; the age is
	// for the message only.
	age := "of unknown age"
	var ns int64
	if err := s.rdb.QueryRowContext(ctx, `SELECT `+dbNowSQL+` - heartbeat_at FROM nodes WHERE id = ?`, s.opts.NodeID).Scan(&ns); err == nil {
		age = time.Duration(ns).Round(time.Millisecond).String() + " old"
	}
	return fmt.Errorf("%w: node %q has another process's heartbeat, %s: give each node its own store.node_id",
		ErrNodeIDInUse, s.opts.NodeID, age)
}

// claimNode takes this node's id at Open, waiting up to claimWait for the
// heartbeat of a process with the same id to lapse: the same node
// restarted at once after a crash (systemd's Restart) waits for its
// former self, a second process given the same id is refused.
func (s *Store) claimNode(ctx context.Context) error {
	deadline := time.Now().Add(claimWait)
	for {
		err := s.Heartbeat(ctx, "", "")
		if !errors.Is(err, ErrNodeIDInUse) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// claimWait is how long Open waits for a node id in use to come free: past
// nodeLive, so that a crashed node's restart is never refused.
const claimWait = nodeLive + 2*time.Second

// Cluster lists the nodes and the leases, with the database's clock now.
func (s *Store) Cluster(ctx context.Context) (nodes []Node, leases []Lease, now time.Time, err error) {
	if !s.jr.shared {
		return nil, nil, s.opts.Now(), nil
	}
	var n int64
	if err := s.rdb.QueryRowContext(engine.AsProjected(ctx), `SELECT `+dbNowSQL).Scan(&n); err != nil {
		return nil, nil, time.Time{}, fmt.Errorf("store: cluster: %w", err)
	}
	now = time.Unix(0, n).UTC()
	rows, err := s.rdb.QueryContext(engine.AsProjected(ctx), `SELECT id, started_at, heartbeat_at, http_addr, version FROM nodes ORDER BY id`)
	if err != nil {
		return nil, nil, now, fmt.Errorf("store: cluster: %w", err)
	}
	nodes, err = core.AppendRows([]Node{}, rows, func(sc core.RowScanner) (Node, error) {
		var x Node
		var started, beat int64
		err := sc.Scan(&x.ID, &started, &beat, &x.HTTPAddr, &x.Version)
		x.StartedAt, x.HeartbeatAt = time.Unix(0, started).UTC(), time.Unix(0, beat).UTC()
		x.Age = now.Sub(x.HeartbeatAt)
		return x, err
	})
	if err != nil {
		return nil, nil, now, fmt.Errorf("store: cluster: %w", err)
	}
	rows, err = s.rdb.QueryContext(engine.AsProjected(ctx), `SELECT job, holder, epoch, acquired_at, renewed_at, expires_at FROM leases ORDER BY job`)
	if err != nil {
		return nil, nil, now, fmt.Errorf("store: cluster: %w", err)
	}
	leases, err = core.AppendRows([]Lease{}, rows, func(sc core.RowScanner) (Lease, error) {
		var l Lease
		var acq, ren, exp int64
		err := sc.Scan(&l.Job, &l.Holder, &l.Epoch, &acq, &ren, &exp)
		l.AcquiredAt, l.RenewedAt, l.ExpiresAt = time.Unix(0, acq).UTC(), time.Unix(0, ren).UTC(), time.Unix(0, exp).UTC()
		l.Held = exp > n
		return l, err
	})
	if err != nil {
		return nil, nil, now, fmt.Errorf("store: cluster: %w", err)
	}
	return nodes, leases, now, nil
}
