#!/usr/bin/env bash
# What store.integrity_check costs at the start of a grown store: for each
# of ROUNDS rounds, `alarmrx serve` (testdata/bench/alarmrx.yaml with its
# data_dir set to DATA_DIR, a store filled by `alarmrx bench fill`) is
# started with the check before the start (`start`) and after it
# (`background`), the database file read once before each start so that
# both find it in the page cache. It prints the time from the command to
# the first 200 of /-/ready; the ACK rate and p99 of 3 s of `alarmrx bench
# --conns 16` right after (while the background check runs); the time the
# check took to pass (alarmrx_store_integrity_check); and 3 s of the same
# load after it. Every run uses accounts of its own (--account-base), so
# nothing is a duplicate.
#   usage: testdata/bench/integrity-check.sh DATA_DIR [rounds]
set -euo pipefail
cd "$(dirname "$0")/../.."
dir="$1"; rounds="${2:-3}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/alarmrx" ./cmd/alarmrx
metrics=http://127.0.0.1:8080/metrics
base=$((500000 + RANDOM * 10))
state() { curl -s "$metrics" | sed -n 's/^alarmrx_store_integrity_check{db="store",state="\([a-z]*\)"} 1$/\1/p'; }
echo "| round | store.integrity_check | ready after s | acked/s (p99 ms) at once | check state then | check passed after s | acked/s (p99 ms) after the check |"
echo "|---|---|---|---|---|---|---|"
for round in $(seq "$rounds"); do
	for mode in start background; do
		cat "$dir/alarmrx.db" >/dev/null
		t0=$(date +%s.%N)
		ALARMRX_DATA_DIR="$dir" ALARMRX_STORE_INTEGRITY_CHECK=$mode "$tmp/alarmrx" serve --config testdata/bench/alarmrx.yaml 2>/dev/null &
		pid=$!
		for _ in $(seq 6000); do curl -sf http://127.0.0.1:8080/-/ready >/dev/null && break; sleep 0.02; done
		t1=$(date +%s.%N)
		base=$((base + 1000))
		r1="$("$tmp/alarmrx" bench --conns 16 --duration 3s --addr 127.0.0.1:12129 --account-base "$base" --json | head -1)"
		s1="$(state)"
		while [ "$(state)" = running ]; do sleep 0.1; done
		t2=$(date +%s.%N)
		base=$((base + 1000))
		r2="$("$tmp/alarmrx" bench --conns 16 --duration 3s --addr 127.0.0.1:12129 --account-base "$base" --json | head -1)"
		kill "$pid"; wait "$pid" 2>/dev/null || true
		python3 - "$round" "$mode" "$t0" "$t1" "$t2" "$s1" "$r1" "$r2" <<'PY'
import json, sys
rnd, mode, t0, t1, t2, s1, r1, r2 = sys.argv[1:9]
t0, t1, t2 = float(t0), float(t1), float(t2)
a, b = json.loads(r1), json.loads(r2)
passed = f"{t2 - t0:.1f}" if mode == "background" else "before the start"
print(f"| {rnd} | {mode} | {t1 - t0:.2f} | {a['acked_per_second']:,.0f} ({a['p99_ms']:.1f}) | {s1} | {passed} | {b['acked_per_second']:,.0f} ({b['p99_ms']:.1f}) |")
PY
	done
done
