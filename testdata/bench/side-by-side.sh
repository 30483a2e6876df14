#!/usr/bin/env bash
# Runs `alarmrx bench` against `alarmrx serve` of two builds side by side:
# the build at REV and the working tree, alternating, ROUNDS rounds of
# SECONDS each, TCP at 16 plain, 16 AES-128 and 256 plain panels (each
# panel its own account, distinct sequences: nothing is a duplicate). The
# working tree's `bench` drives both. Prints the medians as markdown rows.
#   usage: testdata/bench/side-by-side.sh REV [seconds-per-run] [rounds]
set -euo pipefail
cd "$(dirname "$0")/../.."
rev="$1"; secs="${2:-5}"; rounds="${3:-3}"
tmp="$(mktemp -d)"
trap 'git worktree remove --force "$tmp/base" >/dev/null 2>&1 || true; rm -rf "$tmp" data-bench' EXIT
git worktree add -q --detach "$tmp/base" "$rev"
(cd "$tmp/base" && go build -o "$tmp/alarmrx-base" ./cmd/alarmrx)
go build -o "$tmp/alarmrx-head" ./cmd/alarmrx
key=000102030405060708090A0B0C0D0E0F
for round in $(seq "$rounds"); do
	for c in "16 plain" "16 aes" "256 plain"; do
		set -- $c
		for build in base head; do
			rm -rf data-bench
			"$tmp/alarmrx-$build" serve --config testdata/bench/alarmrx.yaml 2>/dev/null &
			pid=$!
			for _ in $(seq 100); do curl -sf http://127.0.0.1:8080/-/ready >/dev/null && break; sleep 0.1; done
			args=(--conns "$1" --duration "${secs}s" --json)
			if [ "$2" = aes ]; then args+=(--addr 127.0.0.1:12128 --key "$key"); else args+=(--addr 127.0.0.1:12129); fi
			r="$("$tmp/alarmrx-head" bench "${args[@]}" | head -1)"
			kill "$pid"; wait "$pid" 2>/dev/null || true
			echo "$round $1 $2 $build $r" >>"$tmp/runs.txt"
		done
	done
done
python3 - "$tmp/runs.txt" <<'PY'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    _, conns, enc, build, js = line.split(" ", 4)
    r = json.loads(js)
    rows.setdefault((int(conns), enc), {}).setdefault(build, []).append(
        (r["acked_per_second"], r["p99_ms"], r["errors"] + r["naks"] + r["duhs"]))
print("| case | before | after | after ÷ before | runs before · after (acked/s) | errors |")
print("|---|---|---|---|---|---|")
for (conns, enc), b in sorted(rows.items(), key=lambda kv: (kv[0][0], kv[0][1] != "plain")):
    med = lambda build, i: statistics.median(x[i] for x in b[build])
    runs = lambda build: " · ".join(f"{x[0]:,.0f}" for x in b[build])
    name = "AES-128" if enc == "aes" else "plain"
    print(f"| tcp, {conns} panels, {name} | {med('base', 0):,.0f} ({med('base', 1):.2f}) | {med('head', 0):,.0f} ({med('head', 1):.2f}) "
          f"| {med('head', 0) / med('base', 0):.2f} | {runs('base')} — {runs('head')} | {sum(x[2] for x in b['base'])} / {sum(x[2] for x in b['head'])} |")
PY
