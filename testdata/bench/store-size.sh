#!/usr/bin/env bash
# Measures what a signal costs on disk as the receiver stores it: a fresh
# `alarmrx serve` (testdata/bench/alarmrx.yaml) takes SECONDS of
# `alarmrx bench --conns 16` SIA-DCS burglary alarms on the plain listener
# (each panel its own account, distinct sequences: nothing is a
# duplicate; no account imported, so each alarm joins its account's
# unknown-account incident), then stops; the database's used pages
# ((page_count - freelist_count) × page_size, indexes included) are divided
# by its signals, and SQLite's dbstat gives each table's and index's
# share. With REV, the build at REV runs first, beside the working tree's.
# Needs python3 with its sqlite3 module (dbstat compiled in).
#   usage: testdata/bench/store-size.sh [seconds] [REV]
set -euo pipefail
cd "$(dirname "$0")/../.."
secs="${1:-10}"; rev="${2:-}"
tmp="$(mktemp -d)"
trap 'git worktree remove --force "$tmp/base" >/dev/null 2>&1 || true; rm -rf "$tmp" data-bench' EXIT
builds=()
if [ -n "$rev" ]; then
	git worktree add -q --detach "$tmp/base" "$rev"
	(cd "$tmp/base" && go build -o "$tmp/alarmrx-$rev" ./cmd/alarmrx)
	builds+=("$rev")
fi
go build -o "$tmp/alarmrx-head" ./cmd/alarmrx
builds+=(head)
for build in "${builds[@]}"; do
	rm -rf data-bench
	"$tmp/alarmrx-$build" serve --config testdata/bench/alarmrx.yaml 2>/dev/null &
	pid=$!
	for _ in $(seq 100); do curl -sf http://127.0.0.1:8080/-/ready >/dev/null && break; sleep 0.1; done
	r="$("$tmp/alarmrx-head" bench --conns 16 --duration "${secs}s" --addr 127.0.0.1:12129 --json | head -1)"
	kill "$pid"; wait "$pid" 2>/dev/null || true
	python3 - "$build" "$r" <<'PY'
import json, sqlite3, sys
build, r = sys.argv[1], json.loads(sys.argv[2])
db = sqlite3.connect("file:data-bench/alarmrx.db?mode=ro", uri=True)
pc, fl, ps = (db.execute(f"PRAGMA {p}").fetchone()[0] for p in ("page_count", "freelist_count", "page_size"))
n = db.execute("SELECT count(*) FROM signals").fetchone()[0]
print(f"## {build}: {r['acked']} frames acked, {n} signals, {(pc - fl) * ps / n:.1f} bytes a signal")
print("| table or index | bytes a signal |\n|---|---|")
for name, size in db.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC LIMIT 12"):
    print(f"| {name} | {size / n:.1f} |")
PY
done
