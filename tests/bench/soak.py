#!/usr/bin/env python3
"""The soak's sampler and report (tests/bench/soak.sh). Standard library only.

  soak.py sample PID HTTP_PORT OUT.jsonl --interval 60 --max-seconds N
      every interval (and once at the start): the server's CPU seconds, RSS, open fds and
      threads from /proc, and from its /metrics the open connections, players, room members,
      messages, inputs dropped, and the tick lag and tick duration histograms of SpellTraction
      rooms. One JSON line per sample; stops when the process is gone, after N seconds, or on
      SIGTERM.
  soak.py report OUT.jsonl LOAD.json --settle-minutes M > soak.md
      a Markdown table with one row per minute (the histograms as deltas over that minute)
      and the growth from the first settled minute (after the ramp) to the last.
"""
import argparse
import json
import os
import signal
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sample_proc import count_fds, read_rss_kb, read_stat  # noqa: E402

GAME = "spelltraction"


def parse_metrics(text):
    """Prometheus text format -> {(name, frozenset(labels)): value}; enough for our own."""
    out = {}
    for line in text.splitlines():
        if not line or line[0] == "#":
            continue
        head, _, value = line.rpartition(" ")
        name, labels = head, {}
        if "{" in head:
            name, rest = head.split("{", 1)
            for part in rest.rstrip("}").split(","):
                if "=" in part:
                    k, v = part.split("=", 1)
                    labels[k] = v.strip('"')
        try:
            out[(name, frozenset(labels.items()))] = float(value)
        except ValueError:
            pass
    return out


def histogram(metrics, name, type_):
    """{"buckets": [[le, cumulative], ...], "sum": s, "count": n} for one room type."""
    buckets = []
    total, count = 0.0, 0.0
    for (n, labels), v in metrics.items():
        d = dict(labels)
        if d.get("type") != type_:
            continue
        if n == name + "_bucket":
            le = d["le"]
            buckets.append([float("inf") if le == "+Inf" else float(le), v])
        elif n == name + "_sum":
            total = v
        elif n == name + "_count":
            count = v
    buckets.sort()
    return {"buckets": buckets, "sum": total, "count": count}


def value(metrics, name, **labels):
    """Sum of one metric over the series whose labels include `labels`."""
    want = set(labels.items())
    return sum(v for (n, ls), v in metrics.items() if n == name and want <= set(ls))


def sample(args):
    stop = False

    def on_term(_signum, _frame):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_term)
    start = time.time()
    with open(args.out, "a", encoding="utf-8") as out:
        while not stop:
            t = time.time()
            try:
                utime, stime, threads = read_stat(args.pid)
                rss_kb, fds = read_rss_kb(args.pid), count_fds(args.pid)
            except (FileNotFoundError, ProcessLookupError):
                break
            row = {"t": t, "cpu_s": utime + stime, "rss_kb": rss_kb, "fds": fds,
                   "threads": threads}
            try:
                url = f"http://127.0.0.1:{args.http_port}/metrics"
                with urllib.request.urlopen(url, timeout=10) as r:
                    m = parse_metrics(r.read().decode("utf-8"))
                row.update({
                    "connections": value(m, "rookery_connections_open"),
                    "players": value(m, "rookery_players_logged_in"),
                    "members": value(m, "rookery_room_members", type=GAME),
                    "inputs": value(m, "rookery_room_inputs_total", type=GAME),
                    "inputs_dropped": value(m, "rookery_room_inputs_dropped_total", type=GAME),
                    "messages_in": value(m, "rookery_messages_in_total"),
                    "messages_out": value(m, "rookery_messages_out_total"),
                    "store_errors": value(m, "rookery_store_errors_total"),
                    "store_queue": value(m, "rookery_store_queue_depth"),
                    "tick_lag": histogram(m, "rookery_tick_lag_seconds", GAME),
                    "tick_duration": histogram(m, "rookery_tick_duration_seconds", GAME),
                })
            except OSError as e:
                row["scrape_error"] = str(e)
            out.write(json.dumps(row) + "\n")
            out.flush()
            if t - start >= args.max_seconds:
                break
            # Sleep to the next multiple of the interval from the start, in short steps so
            # SIGTERM and a vanished process end the sampler promptly.
            wake = start + (int((time.time() - start) / args.interval) + 1) * args.interval
            while not stop and time.time() < wake:
                if not os.path.exists(f"/proc/{args.pid}"):
                    return
                time.sleep(min(1.0, max(0.0, wake - time.time())))


def delta_hist(a, b):
    """The histogram of the samples between two scrapes: per-bucket counts, sum, count."""
    prev = {le: c for le, c in a["buckets"]}
    cum = [(le, c - prev.get(le, 0.0)) for le, c in b["buckets"]]
    return cum, b["sum"] - a["sum"], b["count"] - a["count"]


def quantile_bound(cum, count, q):
    """Upper bound of the bucket holding quantile q (cumulative buckets)."""
    if count <= 0:
        return None
    for le, c in cum:
        if c >= q * count:
            return le
    return float("inf")


def worst_bound(cum, count):
    """Upper bound of the highest non-empty bucket."""
    if count <= 0:
        return None
    last_c, worst = 0.0, None
    for le, c in cum:
        if c > last_c:
            worst = le
        last_c = c
    return worst


def ms(x):
    if x is None:
        return "-"
    if x == float("inf"):
        return ">1000"
    return f"{x * 1000:.3g}"


def slope_per_hour(points):
    """Least-squares slope of (t seconds, y) in y units per hour."""
    n = len(points)
    if n < 2:
        return 0.0
    mt = sum(p[0] for p in points) / n
    my = sum(p[1] for p in points) / n
    var = sum((p[0] - mt) ** 2 for p in points)
    if var == 0:
        return 0.0
    return sum((p[0] - mt) * (p[1] - my) for p in points) / var * 3600


def report(args):
    rows = [json.loads(l) for l in open(args.samples, encoding="utf-8") if l.strip()]
    rows = [r for r in rows if "tick_lag" in r]
    load = json.load(open(args.load, encoding="utf-8")) if args.load else {}
    t0 = rows[0]["t"]
    print("| minute | connections | players | RSS MiB | fds | server CPU % | inputs/s | "
          "tick lag mean / p99 / worst ms | tick time mean / p99 ms | inputs dropped | store queue |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    minutes = []
    for a, b in zip(rows, rows[1:]):
        dt = b["t"] - a["t"]
        lag, lag_sum, lag_n = delta_hist(a["tick_lag"], b["tick_lag"])
        dur, dur_sum, dur_n = delta_hist(a["tick_duration"], b["tick_duration"])
        m = {
            "minute": round((b["t"] - t0) / 60),
            "t": b["t"],
            "connections": b["connections"],
            "players": b["players"],
            "rss_mib": b["rss_kb"] / 1024,
            "fds": b["fds"],
            "cpu_pct": (b["cpu_s"] - a["cpu_s"]) / dt * 100,
            "inputs_per_s": (b["inputs"] - a["inputs"]) / dt,
            "lag_mean": lag_sum / lag_n if lag_n else None,
            "lag_p99": quantile_bound(lag, lag_n, 0.99),
            "lag_worst": worst_bound(lag, lag_n),
            "dur_mean": dur_sum / dur_n if dur_n else None,
            "dur_p99": quantile_bound(dur, dur_n, 0.99),
            "dropped": b["inputs_dropped"] - a["inputs_dropped"],
        }
        minutes.append(m)
        print(f"| {m['minute']} | {m['connections']:.0f} | {m['players']:.0f} | "
              f"{m['rss_mib']:.1f} | {m['fds']} | {m['cpu_pct']:.1f} | {m['inputs_per_s']:.0f} | "
              f"{ms(m['lag_mean'])} / {ms(m['lag_p99'])} / {ms(m['lag_worst'])} | "
              f"{ms(m['dur_mean'])} / {ms(m['dur_p99'])} | {m['dropped']:.0f} | "
              f"{b.get('store_queue', '-')} |")
    # Growth is read over the generator's window only: not the ramp's minutes, not the
    # minute after the clients left.
    end = load.get("window_end_unix", float("inf")) + 5
    settled = [m for m in minutes if m["minute"] > args.settle_minutes and m["t"] <= end]
    if len(settled) < 2:
        print("\nToo few settled minutes for growth figures.")
        return
    first, last = settled[0], settled[-1]
    span_min = (last["t"] - first["t"]) / 60
    rss_pts = [(m["t"], m["rss_mib"]) for m in settled]
    fd_pts = [(m["t"], m["fds"]) for m in settled]
    print()
    print(f"Growth over the {span_min:.0f} settled minutes (minute {first['minute']} to "
          f"{last['minute']}; the first {args.settle_minutes} hold the ramp and the first games):")
    print()
    print(f"- RSS: {first['rss_mib']:.1f} MiB to {last['rss_mib']:.1f} MiB "
          f"({last['rss_mib'] - first['rss_mib']:+.1f} MiB; least-squares slope "
          f"{slope_per_hour(rss_pts):+.2f} MiB/hour; highest {max(m['rss_mib'] for m in settled):.1f} MiB).")
    print(f"- Open fds: {first['fds']} to {last['fds']} ({last['fds'] - first['fds']:+d}; "
          f"slope {slope_per_hour(fd_pts):+.1f}/hour).")
    lag_means = [m["lag_mean"] for m in settled if m["lag_mean"] is not None]
    print(f"- Tick lag: mean per minute {ms(min(lag_means))} to {ms(max(lag_means))} ms "
          f"(first {ms(first['lag_mean'])}, last {ms(last['lag_mean'])}); p99 bucket first "
          f"{ms(first['lag_p99'])}, last {ms(last['lag_p99'])} ms; worst bucket of any minute "
          f"{ms(max((m['lag_worst'] for m in settled if m['lag_worst'] is not None), default=None))} ms.")
    cpus = [m["cpu_pct"] for m in settled]
    print(f"- Server CPU per minute: {min(cpus):.1f}% to {max(cpus):.1f}% of one core; "
          f"connections {min(m['connections'] for m in settled):.0f} to "
          f"{max(m['connections'] for m in settled):.0f}; inputs dropped "
          f"{sum(m['dropped'] for m in settled):.0f}.")
    if load:
        gen = load.get("generator", {})
        drops = load.get("drops", {})
        errors = load.get("errors", {})
        print(f"- Generator (`rookery-load`): CPU {gen.get('cpu_pct_window', 0):.1f}% of one core "
              f"over its window; connect failures {load.get('connect', {}).get('failed', '?')}, "
              f"drops {drops.get('total', '?')}, server errors {errors.get('total', '?')}, "
              f"clean: {load.get('clean')}; input-to-state latency p50/p99/max "
              f"{load.get('latency_ms', {}).get('p50', '?')}/"
              f"{load.get('latency_ms', {}).get('p99', '?')}/"
              f"{load.get('latency_ms', {}).get('max', '?')} ms.")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sample")
    s.add_argument("pid", type=int)
    s.add_argument("http_port", type=int)
    s.add_argument("out")
    s.add_argument("--interval", type=float, default=60)
    s.add_argument("--max-seconds", type=float, default=7200)
    r = sub.add_parser("report")
    r.add_argument("samples")
    r.add_argument("load", nargs="?")
    r.add_argument("--settle-minutes", type=int, default=2)
    args = p.parse_args()
    (sample if args.cmd == "sample" else report)(args)


if __name__ == "__main__":
    main()
