package daemon

import (
	"context"
	"errors"
	"time"

	"github.com/alarmrx/alarmrx/daemon/cluster"
	"github.com/alarmrx/alarmrx/store"
	"go.uber.org/zap"
)

// The singleton jobs, by lease name: each runs on one node at a time
// (daemon/cluster); an output's is "output:" and its name.
const (
	jobSupervision   = "supervision"
	jobSchedules     = "schedules"
	jobOnTestExpiry  = "ontest-expiry"
	jobQueueSweep    = "queue-sweep"
	jobEvidencePrune = "evidence-prune"
	jobRetention     = "retention"
	jobUnprogrammed  = "unprogrammed-zones"
	jobReport        = "report"
	jobOutputPrefix  = "output:"
)

// singleton runs fn under job's lease until ctx ends.
func (d *Daemon) singleton(ctx context.Context, job string, fn func(ctx context.Context)) {
	d.keeper.Run(ctx, job, fn)
}

// heartbeat records this node alive every cluster.Renew until ctx ends
// (several nodes on PostgreSQL; nothing on SQLite). It returns the error
// that must stop the daemon: another process took this node's id while
// this one was silent (paused, or cut off from the database), and two
// processes with one id would both act on its leases.
func (d *Daemon) heartbeat(ctx context.Context, version string) error {
	if !d.store.Clustered() {
		return nil
	}
	t := time.NewTicker(cluster.Renew)
	defer t.Stop()
	for {
		hctx, cancel := context.WithTimeout(ctx, cluster.Renew)
		err := d.store.Heartbeat(hctx, d.HTTPAddr(), version)
		cancel()
		switch {
		case errors.Is(err, store.ErrNodeIDInUse):
			return err
		case err != nil && ctx.Err() == nil:
			d.log.Warn("node heartbeat not recorded", zap.Error(err))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// clusterView is /api/v1/cluster: the nodes and the leases, by the
// database's clock.
func (d *Daemon) clusterView(ctx context.Context) (any, error) {
	nodes, leases, now, err := d.store.Cluster(ctx)
	if err != nil {
		return nil, err
	}
	type nodeView struct {
		ID           string    `json:"id"`
		StartedAt    time.Time `json:"started_at"`
		HeartbeatAt  time.Time `json:"heartbeat_at"`
		HeartbeatAge float64   `json:"heartbeat_age_seconds"`
		HTTPAddr     string    `json:"http_addr"`
		Version      string    `json:"version"`
	}
	type leaseView struct {
		Job       string  `json:"job"`
		Holder    string  `json:"holder"`
		Epoch     int64   `json:"epoch"`
		Held      bool    `json:"held"`
		Age       float64 `json:"age_seconds"`
		Remaining float64 `json:"remaining_seconds"`
	}
	out := struct {
		Node      string      `json:"node"`
		Clustered bool        `json:"clustered"`
		Now       time.Time   `json:"now"`
		Nodes     []nodeView  `json:"nodes"`
		Leases    []leaseView `json:"leases"`
	}{Node: d.store.NodeID(), Clustered: d.store.Clustered(), Now: now, Nodes: []nodeView{}, Leases: []leaseView{}}
	for _, n := range nodes {
		out.Nodes = append(out.Nodes, nodeView{ID: n.ID, StartedAt: n.StartedAt, HeartbeatAt: n.HeartbeatAt,
			HeartbeatAge: n.Age.Seconds(), HTTPAddr: n.HTTPAddr, Version: n.Version})
	}
	for _, l := range leases {
		out.Leases = append(out.Leases, leaseView{Job: l.Job, Holder: l.Holder, Epoch: l.Epoch, Held: l.Held,
			Age: now.Sub(l.AcquiredAt).Seconds(), Remaining: max(0, l.ExpiresAt.Sub(now).Seconds())})
	}
	return out, nil
}
