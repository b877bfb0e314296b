#!/usr/bin/env python3
"""Evaluates every Grafana panel query and every alert/recording rule expression through a
running Prometheus' HTTP API (standard library only; used by prometheus_test.sh).

  prom_eval.py --prom http://127.0.0.1:PORT --dashboard FILE --rules FILE [--rules FILE...]
               --mode parse|series [--job rookery]

mode parse:  every expression must be accepted by /api/v1/query (parsed and type-checked by
             the real PromQL engine); works against an empty TSDB.
mode series: every expression must also return at least one series. For an alert, whose full
             expression is empty while all is well, the sides of its top-level comparison are
             evaluated instead (the signal and, unless it is a number, the threshold).
--standalone: the target is a standalone server (no --redis), which exports no rookery_cluster_*
             series: expressions over them are only parsed, and say so.
mode lint:   no Prometheus needed: the dashboard's structure (ids, layout, data source, variables,
             the panels docs/operations.md lists) and each alert's severity, summary and runbook.

Prints one PASS/FAIL line per expression and exits 1 on any failure.
"""

import argparse
import json
import re
import sys
import urllib.error
import urllib.parse
import urllib.request

# Grafana variables used by ops/grafana/dashboards/rookery.json and what a query gets for them.
GRAFANA_VARS = {
    "__rate_interval": "1m",
    "__interval": "15s",
    "__range": "1h",
    "instance": ".*",
}


def load_yaml_exprs(path):
    """Alert and recording rule expressions from a rules file, without a YAML library: the
    rules files keep `expr:` either inline or as a `|` block (checked by promtool anyway)."""
    exprs = []
    lines = open(path, encoding="utf-8").read().splitlines()
    name = None
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r"^\s*-\s*(alert|record):\s*(\S+)", line)
        if m:
            name = (m.group(1), m.group(2))
        m = re.match(r"^(\s*)expr:\s*(.*)$", line)
        if m:
            indent, rest = len(m.group(1)), m.group(2).strip()
            if rest in ("|", "|-", ">", ">-"):
                block = []
                i += 1
                while i < len(lines) and (not lines[i].strip() or
                                          len(lines[i]) - len(lines[i].lstrip()) > indent):
                    block.append(lines[i].strip())
                    i += 1
                expr = " ".join(b for b in block if b)
                exprs.append((name, expr))
                continue
            if rest.startswith(("'", '"')):
                rest = json.loads(rest) if rest[0] == '"' else rest[1:-1].replace("''", "'")
            exprs.append((name, rest))
        i += 1
    return exprs


def dashboard_exprs(path, job):
    dash = json.load(open(path, encoding="utf-8"))
    values = dict(GRAFANA_VARS, job=job)
    out = []

    def walk(panels):
        for panel in panels:
            walk(panel.get("panels", []))
            for target in panel.get("targets", []):
                expr = target.get("expr")
                if expr is None:
                    raise SystemExit(f"panel {panel.get('title')!r} has a target without expr")

                def sub(m):
                    var = m.group(1) or m.group(2)
                    if var not in values:
                        raise SystemExit(f"panel {panel.get('title')!r}: unknown variable ${var}")
                    return values[var]

                expr = re.sub(r"\$\{(\w+)\}|\$(\w+)", sub, expr)
                out.append((("panel", f"{panel['title']} [{target.get('refId')}]"), expr))

    walk(dash.get("panels", []))
    return out


COMPARISONS = ("==", "!=", ">=", "<=", ">", "<")


def split_comparison(expr):
    """Splits `lhs OP [bool] [on|ignoring (..)] [group_x (..)] rhs` at the last comparison
    outside brackets, braces, parentheses and strings; returns (lhs, rhs) or None."""
    depth = 0
    quote = None
    last = None
    i = 0
    while i < len(expr):
        c = expr[i]
        if quote:
            if c == "\\":
                i += 2
                continue
            if c == quote:
                quote = None
        elif c in "\"'`":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif depth == 0:
            for op in COMPARISONS:
                if expr.startswith(op, i) and not (op in (">", "<") and expr.startswith("=", i + 1)):
                    # `=~` and `!~` are matchers and only occur inside braces.
                    last = (i, op)
                    i += len(op) - 1
                    break
        i += 1
    if last is None:
        return None
    pos, op = last
    lhs, rhs = expr[:pos].strip(), expr[pos + len(op):].strip()
    rhs = re.sub(r"^bool\b\s*", "", rhs)
    rhs = re.sub(r"^(on|ignoring)\s*\([^)]*\)\s*", "", rhs)
    rhs = re.sub(r"^(group_left|group_right)\s*(\([^)]*\))?\s*", "", rhs)
    return lhs, rhs


def query(prom, expr):
    url = prom.rstrip("/") + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            body = json.load(resp)
    except urllib.error.HTTPError as e:
        body = json.load(e)
    if body.get("status") != "success":
        return None, body.get("error", "unknown error")
    data = body["data"]
    result = data["result"]
    if data["resultType"] in ("scalar", "string"):
        return 1, None
    return len(result), None


def is_number(text):
    try:
        float(text)
        return True
    except ValueError:
        return False


REQUIRED_PANELS = {
    "connections": "rookery_connections_open",
    "rooms": "rookery_rooms",
    "messages/s": "rookery_messages_in_total",
    "bandwidth": "rookery_bytes_out_total",
    "tick duration p50": "histogram_quantile(0.5, sum by (type, le) (rate(rookery_tick_duration_seconds_bucket",
    "tick duration p99": "histogram_quantile(0.99, sum by (type, le) (rate(rookery_tick_duration_seconds_bucket",
    "store latency": "rookery_store_commit_duration_seconds_bucket",
    "process CPU": "process_cpu_seconds_total",
    "process memory": "process_resident_memory_bytes",
    "process fds": "process_open_fds",
}


def lint(dashboard_path, rule_paths):
    problems = []
    dash = json.load(open(dashboard_path, encoding="utf-8"))
    for key in ("uid", "title", "panels", "templating", "schemaVersion"):
        if key not in dash:
            problems.append(f"dashboard has no {key}")
    defined = {v["name"] for v in dash.get("templating", {}).get("list", [])}
    ids = set()
    boxes = []
    exprs = []
    for panel in dash.get("panels", []):
        title = panel.get("title", "?")
        if panel.get("id") in ids:
            problems.append(f"panel {title!r}: duplicate id {panel.get('id')}")
        ids.add(panel.get("id"))
        g = panel.get("gridPos", {})
        if not all(k in g for k in ("h", "w", "x", "y")) or g["x"] + g["w"] > 24:
            problems.append(f"panel {title!r}: bad gridPos {g}")
            continue
        for (x, y, w, h, other) in boxes:
            if g["x"] < x + w and x < g["x"] + g["w"] and g["y"] < y + h and y < g["y"] + g["h"]:
                problems.append(f"panel {title!r} overlaps {other!r}")
        boxes.append((g["x"], g["y"], g["w"], g["h"], title))
        if panel.get("type") == "row":
            continue
        if panel.get("datasource", {}).get("uid") != "${datasource}":
            problems.append(f"panel {title!r}: data source is not the ${{datasource}} variable")
        refs = [t.get("refId") for t in panel.get("targets", [])]
        if not refs or len(set(refs)) != len(refs):
            problems.append(f"panel {title!r}: no targets or duplicate refIds")
        for t in panel.get("targets", []):
            exprs.append(t.get("expr", ""))
            for var in re.findall(r"\$\{?(\w+)", t.get("expr", "")):
                if var not in defined and var not in GRAFANA_VARS:
                    problems.append(f"panel {title!r}: ${var} is not a dashboard variable")
    for topic, needle in REQUIRED_PANELS.items():
        if not any(needle in e for e in exprs):
            problems.append(f"no panel shows {topic} ({needle})")
    try:
        import yaml  # PyYAML: python3-yaml, a cloud-init dependency
    except ImportError:
        problems.append("PyYAML missing: install python3-yaml")
        yaml = None
    alerts = 0
    for path in rule_paths if yaml else []:
        for group in yaml.safe_load(open(path, encoding="utf-8"))["groups"]:
            for rule in group["rules"]:
                if "alert" not in rule:
                    continue
                alerts += 1
                ann = rule.get("annotations", {})
                for key in ("summary", "description", "runbook"):
                    if not ann.get(key, "").strip():
                        problems.append(f"alert {rule['alert']}: no {key} annotation")
                if rule.get("labels", {}).get("severity") not in ("critical", "warning", "info"):
                    problems.append(f"alert {rule['alert']}: severity must be critical, warning or info")
    for p in problems:
        print(f"  FAIL: {p}")
    print(f"lint: {len(exprs)} panel queries, {alerts} alerts, {len(problems)} problems")
    return 1 if problems else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--prom")
    ap.add_argument("--dashboard", required=True)
    ap.add_argument("--rules", action="append", required=True)
    ap.add_argument("--mode", choices=("parse", "series", "lint"), required=True)
    ap.add_argument("--job", default="rookery")
    ap.add_argument("--standalone", action="store_true",
                    help="the target is not a cluster node: cluster expressions are parsed only")
    args = ap.parse_args()
    if args.mode == "lint":
        return lint(args.dashboard, args.rules)
    if not args.prom:
        ap.error("--prom is needed for modes parse and series")

    exprs = dashboard_exprs(args.dashboard, args.job)
    for path in args.rules:
        exprs += load_yaml_exprs(path)
    if not exprs:
        print("FAIL: no expressions found")
        return 1

    failed = 0
    for (kind, name), expr in exprs:
        probes = [("", expr)]
        if args.mode == "series" and kind == "alert":
            sides = split_comparison(expr)
            if sides is None:
                probes = [("", expr)]
            else:
                probes = [("signal: ", sides[0])]
                if not is_number(sides[1]):
                    probes.append(("threshold: ", sides[1]))
        ok = True
        notes = []
        # The whole expression must always parse, whatever the mode.
        count, err = query(args.prom, expr)
        if err:
            ok = False
            notes.append(f"does not parse: {err}")
        elif args.mode == "series" and args.standalone and "rookery_cluster_" in expr:
            notes.append("parses; a standalone target has no cluster series")
        elif args.mode == "series":
            for label, probe in probes:
                count, err = query(args.prom, probe)
                if err:
                    ok = False
                    notes.append(f"{label}error: {err}")
                elif count == 0:
                    ok = False
                    notes.append(f"{label}no series for {probe}")
                else:
                    notes.append(f"{label}{count} series")
        status = "PASS" if ok else "FAIL"
        failed += not ok
        print(f"  {status}: {kind} {name}: {'; '.join(notes) or 'parses'}")
    print(f"{len(exprs) - failed} of {len(exprs)} expressions ok ({args.mode})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
