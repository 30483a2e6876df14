#!/usr/bin/env bash
# Runs `alarmrx bench` against `alarmrx serve` of the working tree and
# against a reference receiver that stores nothing, in one run,
# interleaved (alarmrx, reference, alarmrx, reference, …), ROUNDS rounds of
# SECS seconds per run, TCP, plain, over the cases (panels:type, see
# `alarmrx bench --type`): 16 SIA-DCS alarms, 16 ADM-CID alarms, 256 SIA-DCS
# alarms, 16 NULL polls and 16 mix (per panel 9 polls, then an alarm). The
# working tree's `bench` drives both. Prints markdown: per case the medians
# of acked/s and p99, alarmrx ÷ reference, the single runs and the errors;
# then every run with /proc/loadavg before and after it and, for alarmrx,
# the average commit batch and commit time over the run (deltas of
# alarmrx_store_commit_batch_size and alarmrx_store_commit_seconds, _sum
# and _count, scraped from /metrics before and after the run), the same of
# the projection (alarmrx_store_projection_batch_size and
# alarmrx_store_projection_seconds: the transactions that build the
# signals, incidents and outbox rows of the frames already ACKed), and the
# events that resolved to a known and to an unknown account.
#
# Every alarmrx run is a fresh daemon (testdata/bench/alarmrx.yaml, plain
# listener 127.0.0.1:12129) on an empty data directory, and before the run
# every panel's account (account-base 100000 … 100000+N-1) is imported on
# receiver 1 through the daemon's API (`alarmrx customers|sites|accounts
# import`, admin token from ALARMRX_HTTP_ADMIN_TOKEN, set here), so that
# each alarm resolves to its account and opens or joins its incident and
# the queue, as in production. Checked with a 4-panel run: every alarm
# counted in alarmrx_signals_resolved_total{result="resolved"}, none in
# {result="unknown"}, and one open "Burglary Alarm — zone 000" incident per
# account in GET /api/v1/incidents; the `known · unknown` column shows the
# same counts for every run. The bench configuration has no output, so no
# outbox rows are written.
#
# The reference is the example server of github.com/eyetowers/gosia, a Go
# DC-09 receiver: it parses each frame (CRC, length, header, timestamp
# syntax) and ACKs it, stores nothing, knows no accounts (any frame that
# parses is ACKed, whatever its token or account: SIA-DCS, ADM-CID and NULL
# alike), speaks TCP only, and prints a line to stdout for every frame it
# receives and sends (sent to /dev/null here). It is not part of alarmrx and
# this script does not build it: build it in a scratch folder outside any
# repository,
#   git clone https://github.com/eyetowers/gosia /tmp/gosia-ref
#   cd /tmp/gosia-ref && go build -o gosia-server ./examples/server
# and give the binary in REFERENCE_BIN. It takes the address to listen on
# as its one argument (a second one would be an AES key): REFERENCE_ARGS,
# default 127.0.0.1:15000; REFERENCE_ADDR is where bench sends, default the
# same.
#
#   usage: REFERENCE_BIN=/tmp/gosia-ref/gosia-server [ROUNDS=3] [SECS=5] \
#            [CASES="16:sia 16:cid 256:sia 16:null 16:mix"] testdata/bench/vs-reference.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${REFERENCE_BIN:?give the built reference receiver in REFERENCE_BIN (see the comment at the top)}"
rounds="${ROUNDS:-3}"; secs="${SECS:-5}"
cases="${CASES:-16:sia 16:cid 256:sia 16:null 16:mix}"
ref_addr="${REFERENCE_ADDR:-127.0.0.1:15000}"
read -r -a ref_args <<<"${REFERENCE_ARGS:-$ref_addr}"
config=testdata/bench/alarmrx.yaml
rx_addr=127.0.0.1:12129 http=127.0.0.1:8080 # the plain listener and http.listen of $config
base=100000
export ALARMRX_HTTP_ADMIN_TOKEN="${ALARMRX_HTTP_ADMIN_TOKEN:-bench-admin-token}"
tmp="$(mktemp -d)"
pid=""
trap '[ -z "$pid" ] || { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }; rm -rf "$tmp"' EXIT
go build -o "$tmp/alarmrx" ./cmd/alarmrx
bin="$tmp/alarmrx"

# listening reports whether something accepts TCP connections on host:port.
listening() { (exec 3<>"/dev/tcp/${1%:*}/${1##*:}") 2>/dev/null; }
for a in "$http" "$rx_addr" "$ref_addr"; do
	if listening "$a"; then
		echo "vs-reference: $a is in use (another daemon or reference?): stop it first" >&2
		exit 1
	fi
done

# One customer and site hold every bench account; the accounts file of N
# panels is written when a case first needs it.
printf 'identifier,name\nbench-customer,bench panels\n' >"$tmp/customers.csv"
printf 'identifier,name,customer\nbench-site,bench panels,bench-customer\n' >"$tmp/sites.csv"
accounts_csv() {
	local f="$tmp/accounts-$1.csv"
	if [ ! -f "$f" ]; then
		{ echo "receiver,number,site"; for ((i = 0; i < $1; i++)); do echo "1,$((base + i)),bench-site"; done; } >"$f"
	fi
	echo "$f"
}

start_alarmrx() { # panels
	rm -rf "$tmp/data"
	ALARMRX_DATA_DIR="$tmp/data" "$bin" serve --config "$config" 2>"$tmp/serve.log" &
	pid=$!
	for _ in $(seq 100); do curl -sf "http://$http/-/ready" >/dev/null && break; sleep 0.1; done
	curl -sf "http://$http/-/ready" >/dev/null || { echo "vs-reference: alarmrx not ready:" >&2; cat "$tmp/serve.log" >&2; exit 1; }
	"$bin" customers import "$tmp/customers.csv" --config "$config" >/dev/null
	"$bin" sites import "$tmp/sites.csv" --config "$config" >/dev/null
	"$bin" accounts import "$(accounts_csv "$1")" --config "$config" >/dev/null
}

start_reference() {
	"$REFERENCE_BIN" "${ref_args[@]}" >/dev/null 2>"$tmp/reference.log" &
	pid=$!
	for _ in $(seq 100); do listening "$ref_addr" && break; sleep 0.1; done
	listening "$ref_addr" || { echo "vs-reference: the reference does not listen on $ref_addr:" >&2; cat "$tmp/reference.log" >&2; exit 1; }
}

stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""; }

n=0
for round in $(seq "$rounds"); do
	for c in $cases; do
		conns="${c%%:*}" typ="${c##*:}"
		for rx in alarmrx reference; do
			n=$((n + 1))
			run="$tmp/run-$n"
			if [ "$rx" = alarmrx ]; then
				start_alarmrx "$conns"
				curl -sf "http://$http/metrics" >"$run.before"
				addr="$rx_addr"
			else
				start_reference
				addr="$ref_addr"
			fi
			load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
			r="$("$bin" bench --addr "$addr" --conns "$conns" --type "$typ" --account-base "$base" \
				--duration "${secs}s" --json 2>"$run.err" | head -1 || true)"
			load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
			if [ "$rx" = alarmrx ]; then curl -sf "http://$http/metrics" >"$run.after" || true; fi
			stop
			[ -n "$r" ] || r='{}' # bench did not run: its error is in $run.err
			printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$conns" "$typ" "$rx" "$load_before" "$load_after" "$run" "$r" >>"$tmp/runs.tsv"
		done
	done
done

python3 - "$tmp/runs.tsv" <<'PY'
import json, os, re, statistics, sys

def metrics(path):
    """The samples of a /metrics text, by name with labels."""
    out = {}
    if os.path.exists(path):
        for line in open(path):
            if line and not line.startswith("#"):
                name, _, value = line.rstrip("\n").rpartition(" ")
                out[name] = float(value)
    return out

def total(m, name):
    """A metric's value summed over its series (the engines' have a db label)."""
    return sum(v for k, v in m.items() if k == name or k.startswith(name + "{"))

def delta(before, after, name):
    return total(after, name) - total(before, name)

def resolved(m, result):
    return sum(v for k, v in m.items()
               if k.startswith("alarmrx_signals_resolved_total{") and f'result="{result}"' in k)

runs = []
for line in open(sys.argv[1]):
    rnd, conns, typ, rx, lb, la, path, js = line.rstrip("\n").split("\t", 7)
    r = json.loads(js)
    run = dict(round=int(rnd), conns=int(conns), type=typ, rx=rx, load_before=lb, load_after=la,
               acked_s=r.get("acked_per_second", 0.0), p99=r.get("p99_ms", 0.0),
               errors=r.get("errors", 0) + r.get("naks", 0) + r.get("duhs", 0) if r else 1,
               first_error=r.get("first_error", "" if r else open(path + ".err").read().strip()))
    if rx == "alarmrx":
        b, a = metrics(path + ".before"), metrics(path + ".after")
        commits = delta(b, a, "alarmrx_store_commit_batch_size_count")
        run["commits"] = commits
        run["batch"] = delta(b, a, "alarmrx_store_commit_batch_size_sum") / commits if commits else 0
        n = delta(b, a, "alarmrx_store_commit_seconds_count")
        run["commit_ms"] = 1000 * delta(b, a, "alarmrx_store_commit_seconds_sum") / n if n else 0
        projections = delta(b, a, "alarmrx_store_projection_batch_size_count")
        run["proj_batch"] = delta(b, a, "alarmrx_store_projection_batch_size_sum") / projections if projections else 0
        run["proj_ms"] = 1000 * delta(b, a, "alarmrx_store_projection_seconds_sum") / projections if projections else 0
        run["known"] = resolved(a, "resolved") - resolved(b, "resolved")
        run["unknown"] = resolved(a, "unknown") - resolved(b, "unknown")
    runs.append(run)

order = []
for r in runs:
    if (r["conns"], r["type"]) not in order:
        order.append((r["conns"], r["type"]))
names = {"sia": "SIA-DCS alarms", "cid": "ADM-CID alarms", "null": "NULL polls", "mix": "mix (9 polls : 1 alarm)"}
med = lambda rs, k: statistics.median(x[k] for x in rs) if rs else 0

print("| case | alarmrx acked/s (p99 ms) | reference acked/s (p99 ms) | alarmrx ÷ reference | runs alarmrx — reference (acked/s) | errors alarmrx / reference | alarmrx commit: avg batch, avg ms | alarmrx projection: avg batch, avg ms |")
print("|---|---|---|---|---|---|---|---|")
for conns, typ in order:
    a = [r for r in runs if (r["conns"], r["type"], r["rx"]) == (conns, typ, "alarmrx")]
    f = [r for r in runs if (r["conns"], r["type"], r["rx"]) == (conns, typ, "reference")]
    ratio = med(a, "acked_s") / med(f, "acked_s") if med(f, "acked_s") else 0
    runs_s = lambda rs: " · ".join(f"{x['acked_s']:,.0f}" for x in rs)
    print(f"| {conns} panels, {names.get(typ, typ)} | {med(a, 'acked_s'):,.0f} ({med(a, 'p99'):.2f}) "
          f"| {med(f, 'acked_s'):,.0f} ({med(f, 'p99'):.2f}) | {ratio:.3f} | {runs_s(a)} — {runs_s(f)} "
          f"| {sum(x['errors'] for x in a)} / {sum(x['errors'] for x in f)} | {med(a, 'batch'):.1f}, {med(a, 'commit_ms'):.2f} "
          f"| {med(a, 'proj_batch'):.1f}, {med(a, 'proj_ms'):.2f} |")

print()
print("| round | case | receiver | acked/s | p99 ms | errors | load before | load after | commits | avg batch | avg commit ms | known · unknown |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for r in runs:
    rx_cols = (f"{r['commits']:,.0f} | {r['batch']:.1f} | {r['commit_ms']:.2f} | {r['known']:,.0f} · {r['unknown']:,.0f}"
               if r["rx"] == "alarmrx" else "— | — | — | —")
    err = f"{r['errors']}" + (f" ({r['first_error']})" if r["first_error"] else "")
    print(f"| {r['round']} | {r['conns']} {r['type']} | {r['rx']} | {r['acked_s']:,.0f} | {r['p99']:.2f} | {err} "
          f"| {r['load_before']} | {r['load_after']} | {rx_cols} |")
PY
