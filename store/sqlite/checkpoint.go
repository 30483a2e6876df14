package sqlite

import (
	"context"
	"database/sql"
	"time"

	"go.uber.org/zap"
)

// The WAL is checkpointed off the writer [design.md §2 rule 5: the ACK
// waits only for what must be durable]. SQLite's automatic checkpoint runs
// inside the commit that crosses its threshold, so every thousandth batch
// of frames waited for pages to be copied into the database file, pages
// scattered over the whole file once it is large. The writer's connection
// has it turned off, and a connection of its own checkpoints passively
// (never blocking the writer) every checkpointEvery; a WAL that still grows
// past checkpointWALMax pages, because readers keep old snapshots, is
// restarted, which waits for the writer's current transaction only.
const (
	checkpointEvery  = 250 * time.Millisecond
	checkpointWALMax = 65536 // pages: 256 MiB at 4 KiB
)

// checkpoint runs until stop is closed.
func (db *DB) checkpoint(cdb *sql.DB, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		mode := "PASSIVE"
		for range 2 {
			var busy, wal, moved int64
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			err := cdb.QueryRowContext(ctx, "PRAGMA wal_checkpoint("+mode+")").Scan(&busy, &wal, &moved)
			cancel()
			if err != nil {
				db.m.checkpointErrors.Inc()
				db.log.Debug("checkpoint failed", zap.String("mode", mode), zap.Error(err))
				break
			}
			db.m.walPages.Set(float64(wal))
			if moved > 0 {
				db.m.checkpointed.Add(float64(moved))
			}
			if wal <= checkpointWALMax || mode == "RESTART" {
				break
			}
			mode = "RESTART"
		}
	}
}
