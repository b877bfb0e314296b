#!/usr/bin/env python3
"""Benchmark ladder reports (standard library only).

  bench_report.py level --name N --kind K --clients C --threads T --load load.json
                        --samples samples.jsonl [--server-cpus 0] [--load-cpus 1] > result.json
      One level: joins the load generator's JSON summary with the server samples taken from
      /proc during its measured window, and decides whether the server kept up.

  bench_report.py get result.json KEY[.KEY...]
      Prints one value of a result (for the shell script).

  bench_report.py summarize --out DIR [--title T] [--machine machine.json] result.json...
      Writes DIR/ladder.json, DIR/ladder.md and gnuplot data + script; run gnuplot on
      DIR/plots.gp to get the PNGs (ladder.sh does).
"""
import argparse
import glob
import json
import os
import statistics
import sys

# "Keeps up" (issue 4): every client receives state at >= 19.5 Hz, p99 input-to-state latency
# <= 60 ms, zero drops.
MIN_STATE_HZ = 19.5
MAX_P99_MS = 60.0
# Above this share of its core the generator may be the bottleneck: the level is flagged.
GENERATOR_LIMIT_PCT = 85.0


def load_samples(path):
    out = []
    try:
        with open(path, encoding="ascii") as f:
            for line in f:
                line = line.strip()
                if line:
                    try:
                        out.append(json.loads(line))
                    except ValueError:
                        pass
    except OSError:
        pass
    return out


def cpu_between(a, b):
    """Server CPU % (user, system, total) between two samples."""
    dt = b["t"] - a["t"]
    if dt <= 0:
        return 0.0, 0.0, 0.0
    user = 100.0 * (b["utime"] - a["utime"]) / dt
    system = 100.0 * (b["stime"] - a["stime"]) / dt
    return user, system, user + system


def host_cpu_between(a, b, cpu):
    """Busy and softirq % of one host CPU between two samples."""
    try:
        x, y = a["cpus"][cpu], b["cpus"][cpu]
    except KeyError:
        return None
    total = y["total"] - x["total"]
    if total <= 0:
        return None
    return {
        "busy_pct": round(100.0 * (y["busy"] - x["busy"]) / total, 1),
        "softirq_pct": round(100.0 * (y["softirq"] - x["softirq"]) / total, 1),
        "system_pct": round(100.0 * (y["system"] - x["system"]) / total, 1),
        "user_pct": round(100.0 * (y["user"] - x["user"]) / total, 1),
    }


def why_not(r):
    """Why a level (a result, or a load summary plus kind and clients) did not keep up."""
    reasons = []
    conn = r["connect"]
    in_rooms = conn["in_rooms_at_window_start"]
    if conn.get("failed"):
        reasons.append(f"{conn['failed']} connect failures")
    if in_rooms < r["clients"]:
        reasons.append(f"only {in_rooms} of {r['clients']} clients in rooms when the window "
                       f"started")
    if conn["in_rooms_at_end"] < in_rooms:
        reasons.append(f"in rooms fell to {conn['in_rooms_at_end']}")
    drops = r["drops"]
    if drops["total"]:
        detail = ", ".join(f"{k} {v}" for k, v in sorted(drops["by_reason"].items()))
        reasons.append(f"{drops['total']} connections dropped ({detail})")
    errors = r["errors"]
    other = {k: v for k, v in errors.get("server_error_codes", {}).items()}
    if other and not drops["total"]:
        reasons.append("server errors " + ", ".join(f"{k} {v}" for k, v in sorted(other.items())))
    if errors.get("worker_failures"):
        reasons.append(f"{errors['worker_failures']} generator processes failed")
    if r["kind"] in ("action", "talk", "threads", "profile"):
        rate, lat = r["state_rate_hz"], r["latency_ms"]
        if rate["min"] < MIN_STATE_HZ:
            reasons.append(f"min state rate {rate['min']:.2f} Hz < {MIN_STATE_HZ}")
        if lat["p99"] > MAX_P99_MS:
            reasons.append(f"p99 latency {lat['p99']:.1f} ms > {MAX_P99_MS:.0f}")
        if lat["samples"] == 0:
            reasons.append("no latency samples")
    return reasons


def level(args):
    with open(args.load, encoding="utf-8") as f:
        load = json.load(f)
    samples = load_samples(args.samples)
    w0 = load.get("window_start_unix", 0)
    w1 = load.get("window_end_unix", 0)
    start = load.get("start_unix", w0)
    before = [s for s in samples if s["t"] <= start]
    inside = [s for s in samples if w0 <= s["t"] <= w1]
    server = {}
    if before:
        server["rss_baseline_kb"] = before[-1]["rss_kb"]
        server["fds_baseline"] = before[-1]["fds"]
    if len(before) >= 2:
        # Before any client connected the server is idle: whatever keeps the CPUs busy then is
        # other work on the machine, which disturbs the level (a quiet machine shows ~0%).
        quiet = {}
        for cpu in ("cpu0", "cpu1"):
            h = host_cpu_between(before[0], before[-1], cpu)
            if h:
                quiet[cpu] = h["busy_pct"]
        server["host_busy_before_load_pct"] = quiet
    if len(inside) >= 2:
        user, system, total = cpu_between(inside[0], inside[-1])
        server["cpu_pct"] = round(total, 1)
        server["user_pct"] = round(user, 1)
        server["sys_pct"] = round(system, 1)
        server["rss_loaded_kb"] = int(statistics.median(s["rss_kb"] for s in inside))
        server["rss_max_kb"] = max(s["rss_kb"] for s in samples)
        server["fds_loaded"] = int(statistics.median(s["fds"] for s in inside))
        server["threads"] = inside[-1].get("threads")
        host = {}
        for cpu in ("cpu0", "cpu1"):
            h = host_cpu_between(inside[0], inside[-1], cpu)
            if h:
                host[cpu] = h
        server["host_cpus"] = host
        server["samples_in_window"] = len(inside)
    connected = load["connect"]["connected_at_window_start"]
    in_rooms = load["connect"]["in_rooms_at_window_start"]
    if "rss_baseline_kb" in server and "rss_loaded_kb" in server and connected > 0:
        growth = (server["rss_loaded_kb"] - server["rss_baseline_kb"]) * 1024
        server["rss_growth_bytes_per_conn"] = round(growth / connected, 1)

    lat = load["latency_ms"]
    rate = load["state_rate_hz"]
    reasons = why_not({"kind": args.kind, "clients": args.clients, **load})
    gen_pct = load["generator"]["cpu_pct_window"]
    result = {
        "name": args.name,
        "kind": args.kind,
        "note": args.note,
        "clients": args.clients,
        "threads": args.threads,
        "server_cpus": args.server_cpus,
        "load_cpus": args.load_cpus,
        "rate_hz": load.get("rate_hz"),
        "room_size": load.get("room_size"),
        "window_s": load.get("window_s"),
        "kept_up": not reasons,
        "why_not": reasons,
        "generator_cpu_pct": round(gen_pct, 1),
        "generator_limited": gen_pct > GENERATOR_LIMIT_PCT,
        "server": server,
        "latency_ms": lat,
        "ping_rtt_ms": load.get("ping_rtt_ms"),
        "join_ms": load.get("join_ms"),
        "state_rate_hz": rate,
        "drops": load["drops"],
        "errors": load["errors"],
        "connect": load["connect"],
        "messages": load["messages"],
        "bytes": load["bytes"],
    }
    json.dump(result, sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write("\n")
    return 0


def get(args):
    with open(args.result, encoding="utf-8") as f:
        v = json.load(f)
    for k in args.key.split("."):
        v = v[k] if isinstance(v, dict) else v[int(k)]
    if isinstance(v, bool):
        print("true" if v else "false")
    else:
        print(v)
    return 0


def fmt(v, digits=1):
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def busy_pair(a, b):
    return f"{fmt(a, 0)}/{fmt(b, 0)}"


def mib(kb):
    return None if kb is None else kb / 1024.0


def summarize(args):
    results = []
    for path in args.results:
        with open(path, encoding="utf-8") as f:
            results.append(json.load(f))
    machine = {}
    if args.machine:
        with open(args.machine, encoding="utf-8") as f:
            machine = json.load(f)
    by_kind = {}
    for r in results:
        by_kind.setdefault(r["kind"], []).append(r)
    for rs in by_kind.values():
        rs.sort(key=lambda r: (r["clients"], r["threads"]))
    for r in results:
        r["why_not"] = why_not(r)  # same rules as `level`, in the current wording
        r["kept_up"] = not r["why_not"]

    action = [r for r in by_kind.get("action", []) if r["threads"] == 1]
    kept = [r["clients"] for r in action if r["kept_up"]]
    idle = sorted(by_kind.get("idle", []), key=lambda r: (r.get("note", ""), r["clients"]))
    headline = {
        "max_action_clients_kept_up_one_core": max(kept) if kept else 0,
        "first_action_level_not_kept_up": min(
            (r["clients"] for r in action if not r["kept_up"]), default=None),
        "idle_rss_bytes_per_connection": None,
        "idle_rss_level": None,
        "idle_max_connections_held": None,
    }
    if idle:
        held = [r for r in idle if r["kept_up"]]
        # The RSS figure comes from the largest level held cleanly (else the largest level).
        top = max(held or idle, key=lambda r: (r["clients"], not r.get("note")))
        headline["idle_rss_bytes_per_connection"] = top["server"].get("rss_growth_bytes_per_conn")
        headline["idle_rss_level"] = (top["name"] + (f" ({top['note']})" if top.get("note")
                                                       else ""))
        default_held = [r["clients"] for r in held if not r.get("note")]
        headline["idle_max_connections_held"] = max(default_held) if default_held else 0
        other_held = [r for r in held if r.get("note")]
        if other_held:
            best = max(other_held, key=lambda r: r["clients"])
            headline["idle_max_connections_held_other"] = f"{best['clients']} ({best['note']})"
    talk = by_kind.get("talk", [])
    if talk:
        headline["talk_server_cpu_pct"] = talk[-1]["server"].get("cpu_pct")
        headline["talk_clients"] = talk[-1]["clients"]

    doc = {"title": args.title, "machine": machine, "headline": headline, "levels": results}
    with open(f"{args.out}/ladder.json", "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")

    md = [f"# {args.title}", ""]
    if machine:
        md.append(
            f"Machine: {machine.get('nproc')} x {machine.get('cpu_model')}, kernel "
            f"{machine.get('kernel')}, {machine.get('date')}; server commit "
            f"{machine.get('commit')}; load average at start {machine.get('loadavg')}; server and "
            f"generator started with `{machine.get('priority', '')}`.")
        md.append("")
    md.append("## Headline")
    md.append("")
    top_action = [r for r in action if r["kept_up"]
                  and r["clients"] == headline["max_action_clients_kept_up_one_core"]]
    top_note = f" ({top_action[0]['note']})" if top_action and top_action[0].get("note") else ""
    md.append(f"- Action (SpellTraction, rooms of 100, 10 Hz moves, 20 Hz state), server on one "
              f"core: kept up at **{headline['max_action_clients_kept_up_one_core']}** "
              f"clients{top_note}; first level not kept up: "
              f"{fmt(headline['first_action_level_not_kept_up'])}.")
    earlier = []
    for path in sorted(glob.glob(os.path.join(args.out, "levels", "*-attempt*.json"))):
        with open(path, encoding="utf-8") as f:
            e = json.load(f)
        earlier.append(f"{os.path.basename(path)[:-5]}: " + "; ".join(why_not(e)))
    if earlier:
        md.append("- Levels run again after a first attempt that did not keep up (the tables "
                  "show the last attempt): " + " | ".join(earlier) + ".")
    if idle:
        md.append(f"- Idle: user-space RSS growth per connection: "
                  f"**{fmt(headline['idle_rss_bytes_per_connection'], 0)} bytes** (level "
                  f"{headline['idle_rss_level']}); largest idle level held cleanly with the "
                  f"default server settings: {fmt(headline['idle_max_connections_held'])}"
                  + (f"; with other settings: {headline['idle_max_connections_held_other']}"
                     if headline.get("idle_max_connections_held_other") else "") + ".")
    if talk:
        md.append(f"- The talk's scenario ({talk[-1]['clients']} SpellTraction players, "
                  f"{fmt(talk[-1]['rate_hz'], 2)} moves/s each): server CPU "
                  f"**{fmt(talk[-1]['server'].get('cpu_pct'))}%** of one core.")
    md.append("")

    def row(cells):
        md.append("| " + " | ".join(cells) + " |")

    if idle:
        md += ["## Idle (log in, join a room of 100, ping every 5 s)", ""]
        row(["connections", "server flags", "in rooms start/end", "drops",
             "server CPU %", "RSS base MiB", "RSS loaded MiB", "RSS growth B/conn", "server fds",
             "states in /s", "state Hz min", "gen CPU %", "held", "busy % before load"])
        row(["---"] * 14)
        for r in idle:
            s = r["server"]
            row([str(r["clients"]), r.get("note") or "defaults",
                 f"{r['connect']['in_rooms_at_window_start']}/{r['connect']['in_rooms_at_end']}",
                 str(r["drops"]["total"]),
                 fmt(s.get("cpu_pct")), fmt(mib(s.get("rss_baseline_kb"))),
                 fmt(mib(s.get("rss_loaded_kb"))), fmt(s.get("rss_growth_bytes_per_conn"), 0),
                 fmt(s.get("fds_loaded")), fmt(r["messages"]["states_per_s"], 0),
                 fmt(r["state_rate_hz"]["min"], 2),
                 fmt(r["generator_cpu_pct"]), "yes" if r["kept_up"] else "NO",
                 busy_pair(s.get("host_busy_before_load_pct", {}).get("cpu0"),
                           s.get("host_busy_before_load_pct", {}).get("cpu1"))])
        notes = [r for r in idle if r["why_not"]]
        if notes:
            md.append("")
            for r in notes:
                md.append(f"- {r['name']}: " + "; ".join(r["why_not"]))
        md.append("")

    def action_table(rs, title):
        md.extend([f"## {title}", ""])
        row(["clients", "threads", "kept up", "server CPU % (user/sys)", "cpu0 softirq %",
             "latency p50/p99/max ms", "state Hz min/median", "drops",
             "msgs/s in/out", "MB/s in", "gen CPU %", "cpu0/cpu1 busy % in window",
             "busy % before load"])
        row(["---"] * 13)
        for r in rs:
            s = r["server"]
            lat = r["latency_ms"]
            cpu0 = s.get("host_cpus", {}).get("cpu0", {})
            row([str(r["clients"]), str(r["threads"]),
                 ("yes" if r["kept_up"] else "no")
                 + (f" ({r['note']})" if r.get("note") else "")
                 + (" (gen-limited?)" if r["generator_limited"] else ""),
                 f"{fmt(s.get('cpu_pct'))} ({fmt(s.get('user_pct'))}/{fmt(s.get('sys_pct'))})",
                 fmt(cpu0.get("softirq_pct")),
                 f"{fmt(lat['p50'])}/{fmt(lat['p99'])}/{fmt(lat['max'])}",
                 f"{fmt(r['state_rate_hz']['min'], 2)}/{fmt(r['state_rate_hz']['median'], 2)}",
                 str(r["drops"]["total"]),
                 f"{fmt(r['messages']['in_per_s'], 0)}/{fmt(r['messages']['out_per_s'], 0)}",
                 fmt(r["bytes"]["in_per_s"] / 1e6, 2), fmt(r["generator_cpu_pct"]),
                 busy_pair(s.get("host_cpus", {}).get("cpu0", {}).get("busy_pct"),
                           s.get("host_cpus", {}).get("cpu1", {}).get("busy_pct")),
                 busy_pair(s.get("host_busy_before_load_pct", {}).get("cpu0"),
                           s.get("host_busy_before_load_pct", {}).get("cpu1"))])
        notes = [r for r in rs if r["why_not"]]
        if notes:
            md.append("")
            for r in notes:
                md.append(f"- {r['clients']} clients, {r['threads']} thread(s): "
                          + "; ".join(r["why_not"]))
        md.append("")

    if talk:
        action_table(talk, "The talk's scenario (SpellTraction, rare moves)")
    if action:
        action_table(action, "Action (SpellTraction, rooms of 100, 10 Hz moves, 20 Hz state), "
                             "server on one core")
    threads = by_kind.get("threads", [])
    if threads:
        action_table(threads, "--threads 2 against --threads 1 (same level; with 2 threads the "
                              "server uses both cores and shares CPU 1 with the generator)")
    md.append("Plots: `idle.png` (RSS and CPU against connections), `action.png` (server CPU and "
              "p99 latency against clients).")
    md.append("")
    with open(f"{args.out}/ladder.md", "w", encoding="utf-8") as f:
        f.write("\n".join(md))

    # gnuplot data and script
    idle_groups = {}
    for r in idle:
        idle_groups.setdefault(r.get("note") or "", []).append(r)
    idle_files = []
    for note, rs in sorted(idle_groups.items()):
        tag = "".join(c if c.isalnum() else "-" for c in note).strip("-")
        name = "idle.dat" if not tag else f"idle-{tag}.dat"
        idle_files.append((name, note or "default settings"))
        with open(f"{args.out}/{name}", "w", encoding="ascii") as f:
            f.write("# connected rss_loaded_mib rss_growth_bytes_per_conn server_cpu_pct target\n")
            for r in rs:
                s = r["server"]
                f.write(f"{r['connect']['connected_at_window_start']} "
                        f"{fmt(mib(s.get('rss_loaded_kb')), 2)} "
                        f"{fmt(s.get('rss_growth_bytes_per_conn'), 0)} "
                        f"{fmt(s.get('cpu_pct'))} {r['clients']}\n")
    with open(f"{args.out}/action.dat", "w", encoding="ascii") as f:
        f.write("# clients server_cpu_pct user_pct sys_pct p50_ms p99_ms min_state_hz gen_cpu_pct\n")
        for r in action:
            s = r["server"]
            lat = r["latency_ms"]
            f.write(f"{r['clients']} {fmt(s.get('cpu_pct'))} {fmt(s.get('user_pct'))} "
                    f"{fmt(s.get('sys_pct'))} {fmt(lat['p50'], 2)} {fmt(lat['p99'], 2)} "
                    f"{fmt(r['state_rate_hz']['min'], 2)} {fmt(r['generator_cpu_pct'])}\n")
    gp = [
        "set terminal pngcairo size 900,520 font 'sans,10'",
        "set grid",
        "set key top left",
    ]
    if idle:
        gp += [
            "set output 'idle.png'",
            f"set title '{args.title}: idle connections (server on one core)'",
            "set xlabel 'connections held (connected at the start of the measured window)'",
            "set ylabel 'server RSS (MiB)'",
            "set y2label 'server CPU (% of one core)'",
            "set ytics nomirror",
            "set y2tics",
            "set yrange [0:*]",
            "set y2range [0:*]",
            "plot " + ", ".join(
                f"'{name}' using 1:2 with linespoints lw 2 title 'RSS (MiB), {label}', "
                f"'{name}' using 1:4 axes x1y2 with linespoints dt 2 title 'CPU %, {label}'"
                for name, label in idle_files),
        ]
    if action:
        gp += [
            "set output 'action.png'",
            f"set title '{args.title}: action scenario (rooms of 100, 10 Hz in, 20 Hz out)'",
            "set xlabel 'clients'",
            "set ylabel 'CPU (% of one core)'",
            "set y2label 'input-to-state latency p99 (ms)'",
            "set ytics nomirror",
            "set y2tics",
            "set yrange [0:*]",
            "set y2range [0:*]",
            "plot 'action.dat' using 1:2 with linespoints lw 2 title 'server CPU %', "
            "'' using 1:4 with linespoints title 'server system CPU %', "
            "'' using 1:8 with linespoints dt 2 title 'generator CPU %', "
            "'' using 1:6 axes x1y2 with linespoints lw 2 title 'p99 latency (ms)', "
            f"{MAX_P99_MS} axes x1y2 with lines dt 3 lw 2 lc rgb 'red' title '60 ms target'",
        ]
    with open(f"{args.out}/plots.gp", "w", encoding="ascii") as f:
        f.write("\n".join(gp) + "\n")
    print(json.dumps(headline))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    lv = sub.add_parser("level")
    lv.add_argument("--name", required=True)
    lv.add_argument("--kind", required=True, choices=["idle", "talk", "action", "threads", "profile"])
    lv.add_argument("--clients", type=int, required=True)
    lv.add_argument("--threads", type=int, default=1)
    lv.add_argument("--server-cpus", default="0")
    lv.add_argument("--load-cpus", default="1")
    lv.add_argument("--load", required=True)
    lv.add_argument("--samples", required=True)
    lv.add_argument("--note", default="", help="e.g. extra server flags of this level")
    g = sub.add_parser("get")
    g.add_argument("result")
    g.add_argument("key")
    sm = sub.add_parser("summarize")
    sm.add_argument("--out", required=True)
    sm.add_argument("--title", default="Rookery benchmark ladder")
    sm.add_argument("--machine")
    sm.add_argument("results", nargs="+")
    args = ap.parse_args()
    return {"level": level, "get": get, "summarize": summarize}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
