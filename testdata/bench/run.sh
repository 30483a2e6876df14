#!/usr/bin/env bash
# Runs the benchmark matrix of docs/BENCHMARKS.md: `alarmrx bench` against
# `alarmrx serve` on this machine, 1/16/256 panels, plain and AES-128, TCP
# and UDP. Prints one markdown table row per run.
#   usage: testdata/bench/run.sh [seconds-per-run]
set -euo pipefail
cd "$(dirname "$0")/../.."
secs="${1:-10}"
bin="$(mktemp -d)/alarmrx"
go build -o "$bin" ./cmd/alarmrx
key=000102030405060708090A0B0C0D0E0F
echo "| transport | panels | encryption | acked/s | p50 ms | p90 ms | p99 ms | max ms | errors |"
echo "|---|---|---|---|---|---|---|---|---|"
for net in tcp udp; do
	for enc in plain aes128; do
		for conns in 1 16 256; do
			rm -rf data-bench
			ALARMRX_STORE_SYNCHRONOUS="${SYNC:-full}" "$bin" serve --config testdata/bench/alarmrx.yaml 2>/dev/null &
			pid=$!
			for _ in $(seq 50); do curl -sf http://127.0.0.1:8080/-/ready >/dev/null && break; sleep 0.1; done
			args=(--conns "$conns" --duration "${secs}s" --json)
			[ "$net" = udp ] && args+=(--udp)
			if [ "$enc" = aes128 ]; then args+=(--addr 127.0.0.1:12128 --key "$key"); else args+=(--addr 127.0.0.1:12129); fi
			out="$("$bin" bench "${args[@]}" || true)"
			kill "$pid"; wait "$pid" || true
			python3 - "$net" "$conns" "$enc" "$out" <<'PY'
import json, sys
net, conns, enc, out = sys.argv[1:5]
r = json.loads(out.splitlines()[0])
print(f"| {net} | {conns} | {enc} | {r['acked_per_second']:.0f} | {r['p50_ms']:.2f} | {r['p90_ms']:.2f} | {r['p99_ms']:.2f} | {r['max_ms']:.2f} | {r['errors']+r['naks']+r['duhs']} |")
PY
		done
	done
done
rm -rf data-bench
