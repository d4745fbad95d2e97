#!/usr/bin/env python3
"""Turns one run of bench/run (results.tsv, facts.tsv) into BENCHMARKS.md:
every figure, and each as a ratio to its baseline and to the peer measured
in the same run, against the targets of the performance issue."""
import sys

results_path, facts_path = sys.argv[1], sys.argv[2]


def parse(fields):
    values = {}
    for field in fields.split():
        key, _, value = field.partition("=")
        try:
            values[key] = float(value)
        except ValueError:
            values[key] = None
    return values


runs = []
with open(results_path) as results:
    for line in results:
        parts = line.rstrip("\n").split("\t")
        if len(parts) == 3:
            runs.append((parts[0], int(parts[1]), parse(parts[2])))
facts = []
with open(facts_path) as facts_file:
    for line in facts_file:
        key, _, value = line.rstrip("\n").partition("\t")
        facts.append((key, value))


def find(label_start, connections):
    for label, conns, values in runs:
        if label.startswith(label_start) and conns == connections and values.get("rps"):
            return values
    return None


def fact(key_start):
    for key, value in facts:
        if key.startswith(key_start):
            return value
    return None


def number(value, digits=0):
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f}"


def ratio(ours, theirs):
    if not ours or not theirs:
        return "n/a"
    return f"{ours / theirs:.2f} ×"


def verdict(ok):
    if ok is None:
        return "not measured"
    return "met" if ok else "**not met**"


out = []
out.append("# Benchmarks\n")
out.append(
    "Measured by `bench/run` in one invocation: Roundtable (release build) on SQLite and on "
    "PostgreSQL, the machine's limits (bare axum endpoints from `crates/bench-limits`) and the "
    "peer (django-helpdesk, set up by `../shared/peers/django-helpdesk-setup.sh`), all driven by "
    "the same load generator (wrk, with `bench/wrk.lua`) over loopback, one after another on "
    "the same machine. The load generator shares the server's cores. Latencies are wrk's, and "
    "wrk corrects them for coordinated omission: a request slower than the run's mean interval "
    "per connection also counts the requests its connection would have sent meanwhile, so one "
    "stall of every connection weighs as many samples as it held up.\n"
)
if not any(label.startswith("helpdesk") for label, _, _ in runs):
    out.append(
        "**This run did not measure django-helpdesk** (`BENCH_PEER=0`), so the peer column is empty; "
        "reference figures from this kind of machine are in `../shared/peers/RESULTS.md`.\n"
    )
scale = fact("scale")
if scale:
    out.append(f"**Scale of this run:** {scale}. The issue's scale is 1,000,000 requests.\n")
out.append("## Machine and versions\n")
out.append("| what | value |\n|---|---|")
for key, value in facts:
    if " W" not in key:
        out.append(f"| {key} | {value} |")
out.append("")

out.append("## Targets, with ratios from this run\n")
out.append("| workload | figure | target | verdict | vs baseline | vs django-helpdesk |")
out.append("|---|---|---|---|---|---|")
for backend in ("sqlite", "postgres"):
    for connections in (16, 64):
        w1 = find(f"roundtable/{backend} W1", connections)
        if backend == "sqlite":
            normal = find("axum/sqlite POST /insert WAL sync=NORMAL", connections)
            full = find("axum/sqlite POST /insert WAL sync=FULL", connections)
            baseline = f"{ratio(w1 and w1['rps'], normal and normal['rps'])} bare insert (sync=NORMAL); {ratio(w1 and w1['rps'], full and full['rps'])} bare durable insert (sync=FULL)"
            target = "≥ 5,000/s at 64, durable" if connections == 64 else "(reported)"
            ok = (w1["rps"] >= 5000) if (w1 and connections == 64) else None
        else:
            bare = find("axum/postgres POST /insert", connections)
            baseline = f"{ratio(w1 and w1['rps'], bare and bare['rps'])} bare insert"
            target = "≥ 50 % of the bare insert" if connections == 64 else "(reported)"
            ok = (w1["rps"] >= 0.5 * bare["rps"]) if (w1 and bare and connections == 64) else None
        peer = find(f"helpdesk/{backend} POST", connections)
        figure = f"{number(w1 and w1['rps'])} creates/s at {connections} connections (p50 {number(w1 and w1['p50_ms'], 2)} ms, p99 {number(w1 and w1['p99_ms'], 2)} ms)"
        out.append(f"| W1 intake, {backend} | {figure} | {target} | {verdict(ok) if connections == 64 else '—'} | {baseline} | {ratio(w1 and w1['rps'], peer and peer['rps'])} |")
    w2 = find(f"roundtable/{backend} W2", 64)
    bare_list = find(f"axum/{backend} GET /list", 64)
    peer_list = find(f"helpdesk/{backend} GET ticket list", 64)
    ok = None
    if w2 and bare_list:
        ok = w2["rps"] >= 0.5 * bare_list["rps"] and w2["p99_ms"] <= 30
    out.append(
        f"| W2 queue, {backend} | {number(w2 and w2['rps'])} pages/s at 64 (p50 {number(w2 and w2['p50_ms'], 2)} ms, p99 {number(w2 and w2['p99_ms'], 2)} ms) "
        f"| ≥ 50 % of the bare 50-row list, p99 ≤ 30 ms | {verdict(ok)} | {ratio(w2 and w2['rps'], bare_list and bare_list['rps'])} bare list | {ratio(w2 and w2['rps'], peer_list and peer_list['rps'])} |"
    )
    w3 = find(f"roundtable/{backend} W3 ", 16)
    ok = (w3["p50_ms"] <= 20 and w3["p99_ms"] <= 50) if w3 else None
    out.append(
        f"| W3 matrix, {backend} | p50 {number(w3 and w3['p50_ms'], 2)} ms, p99 {number(w3 and w3['p99_ms'], 2)} ms at 16 ({number(w3 and w3['rps'])}/s) "
        f"| p50 ≤ 20 ms, p99 ≤ 50 ms | {verdict(ok)} | — | — |"
    )
    w3gz = find(f"roundtable/{backend} W3gz", 16)
    if w3gz:
        ok = w3gz["p50_ms"] <= 20 and w3gz["p99_ms"] <= 50
        out.append(
            f"| W3 matrix gzipped (`Accept-Encoding: gzip`), {backend} | p50 {number(w3gz['p50_ms'], 2)} ms, p99 {number(w3gz['p99_ms'], 2)} ms at 16 ({number(w3gz['rps'])}/s) "
            f"| p50 ≤ 20 ms, p99 ≤ 50 ms | {verdict(ok)} | — | — |"
        )
    w4 = fact(f"roundtable/{backend} W4")
    rate = None
    if w4:
        rows, _, rest = w4.partition(" rows in ")
        seconds = float(rest.split()[0])
        rate = float(rows) / seconds if seconds > 0 else None
    out.append(f"| W4 import, {backend} | {number(rate)} rows/s ({w4 or 'n/a'}) | ≥ 50,000 rows/s | {verdict(rate >= 50000 if rate else None)} | — | — |")
    w5 = fact(f"roundtable/{backend} W5")
    memory = float(w5) if w5 else None
    out.append(f"| W5 memory, {backend} | {number(memory)} MB peak resident over W1–W3 | ≤ 200 MB | {verdict(memory <= 200 if memory else None)} | — | — |")
out.append("")

out.append("## Every run\n")
out.append("| what | connections | requests/s | p50 ms | p99 ms | max ms | completed | non-2xx | socket errors |")
out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for label, connections, values in runs:
    out.append(
        f"| {label} | {connections} | {number(values.get('rps'), 1)} | {number(values.get('p50_ms'), 2)} | "
        f"{number(values.get('p99_ms'), 2)} | {number(values.get('max_ms'), 2)} | {number(values.get('n'))} | "
        f"{number(values.get('non2xx'))} | {number(values.get('errors'))} |"
    )
out.append("")
out.append("## Other measurements\n")
for key, value in facts:
    if " W" in key:
        out.append(f"- {key}: {value}")
out.append("")
print("\n".join(out))
