#!/usr/bin/env python3
"""Samples one process from /proc once per interval and appends JSON lines to a file.

Each line: {"t": unix time, "utime": s, "stime": s, "rss_kb": n, "fds": n, "threads": n,
"cpus": {"cpu0": {"busy": jiffies, "total": jiffies, "softirq": jiffies, ...}, ...}}.

Stops when the process is gone, after --max-seconds, or on SIGTERM. Standard library only.
"""
import argparse
import json
import os
import signal
import sys
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")


def read_stat(pid):
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        text = f.read()
    # The command may hold spaces or parentheses: split after the last ')'.
    fields = text[text.rindex(")") + 2:].split()
    utime = int(fields[11]) / CLK_TCK  # field 14 of the full line
    stime = int(fields[12]) / CLK_TCK  # field 15
    threads = int(fields[17])          # field 20
    return utime, stime, threads


def read_rss_kb(pid):
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def count_fds(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


def read_cpus():
    out = {}
    with open("/proc/stat", encoding="ascii") as f:
        for line in f:
            if not line.startswith("cpu") or line.startswith("cpu "):
                continue
            name, *vals = line.split()
            v = [int(x) for x in vals[:8]]
            user, nice, system, idle, iowait, irq, softirq, steal = v
            total = sum(v)
            out[name] = {
                "user": user + nice,
                "system": system,
                "softirq": softirq,
                "irq": irq,
                "idle": idle + iowait,
                "steal": steal,
                "busy": total - idle - iowait,
                "total": total,
            }
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("pid", type=int)
    ap.add_argument("out")
    ap.add_argument("--interval", type=float, default=1.0)
    ap.add_argument("--max-seconds", type=float, default=3600)
    args = ap.parse_args()

    stop = {"flag": False}

    def on_term(_sig, _frame):
        stop["flag"] = True

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    deadline = time.monotonic() + args.max_seconds
    next_t = time.monotonic()
    with open(args.out, "a", encoding="ascii") as out:
        while not stop["flag"] and time.monotonic() < deadline:
            try:
                utime, stime, threads = read_stat(args.pid)
                sample = {
                    "t": round(time.time(), 3),
                    "utime": utime,
                    "stime": stime,
                    "rss_kb": read_rss_kb(args.pid),
                    "fds": count_fds(args.pid),
                    "threads": threads,
                    "cpus": read_cpus(),
                }
            except (OSError, ValueError):
                break  # the process is gone
            out.write(json.dumps(sample) + "\n")
            out.flush()
            next_t += args.interval
            time.sleep(max(0.0, next_t - time.monotonic()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
