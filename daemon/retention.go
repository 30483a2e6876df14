package daemon

import (
	"context"
	"sort"
	"time"

	"github.com/alarmrx/alarmrx/configs"
	"github.com/alarmrx/alarmrx/internal/ratelog"
	"github.com/alarmrx/alarmrx/store"
	"go.uber.org/zap"
)

// retentionLogEvery bounds the lines pruning logs: a station at its
// steady state prunes something every round, and one line per minute
// would say nothing new. A line sums the rounds since the last one.
const retentionLogEvery = 10 * time.Minute

// pruner runs the retention rounds of store.retention and keeps what its
// log line sums.
type pruner struct {
	store *store.Store
	log   *zap.Logger
	now   func() time.Time
	r     store.Retention
	lines *ratelog.Limiter
	// Since the last line: rows by kind, pages freed and rounds that
	// removed something.
	rows   map[string]int
	freed  int64
	rounds int
}

func newPruner(s *store.Store, cfg configs.Retention, log *zap.Logger, now func() time.Time) *pruner {
	return &pruner{store: s, log: log.Named("retention"), now: now, r: storeRetention(cfg),
		lines: ratelog.New(retentionLogEvery), rows: map[string]int{}}
}

// storeRetention maps the configuration onto the store's kinds.
func storeRetention(cfg configs.Retention) store.Retention {
	return store.Retention{
		Periods: map[string]time.Duration{
			store.RetainSignals:        cfg.Signals,
			store.RetainFrames:         cfg.Frames,
			store.RetainRejectedFrames: cfg.RejectedFrames,
			store.RetainIncidents:      cfg.Incidents,
			store.RetainAuditLog:       cfg.AuditLog,
			store.RetainStationEvents:  cfg.StationEvents,
			store.RetainOutbox:         cfg.Outbox,
			store.RetainPollEvidence:   cfg.PollEvidence,
		},
		BatchRows:   cfg.BatchRows,
		VacuumPages: cfg.VacuumPages,
	}
}

// round runs one pruning round at the clock's now and logs, at most once
// per retentionLogEvery, what the rounds since the last line removed.
// What a failed round committed before it failed is counted too.
func (p *pruner) round(ctx context.Context) (store.PruneResult, error) {
	now := p.now()
	res, err := p.store.Prune(ctx, now, p.r)
	if res.Removed() == 0 && res.FreedPages == 0 {
		return res, err
	}
	for k, n := range res.Rows {
		p.rows[k] += n
	}
	p.freed += res.FreedPages
	p.rounds++
	if ok, _ := p.lines.Allow("pruned", now); ok {
		kinds := make([]string, 0, len(p.rows))
		for k := range p.rows {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		fields := make([]zap.Field, 0, len(kinds)+2)
		for _, k := range kinds {
			fields = append(fields, zap.Int(k, p.rows[k]))
		}
		fields = append(fields, zap.Int64("freed_pages", p.freed), zap.Int("rounds", p.rounds))
		p.log.Info("retention pruned rows past their periods", fields...)
		clear(p.rows)
		p.freed, p.rounds = 0, 0
	}
	return res, err
}
