#!/usr/bin/env python3
"""Check deploy/grafana/earshot-dashboard.json.

    python3 deploy/grafana/check-dashboard.py [--metrics SCRAPE.txt] [DASHBOARD.json]

Checks that the file is a Grafana dashboard with a Prometheus `datasource`
variable, that every panel query uses that variable, and that every metric
name in a PromQL expression is one earshot exports (the list below, kept in
step with the daemon's metrics). With --metrics, a saved `curl
127.0.0.1:9477/metrics` output, it also checks that each of those metrics
is really in the scrape. Exit 0 when clean, 1 with one line per problem.
"""
import json
import re
import sys

# name -> type. Counters are listed by their exposed name (with _total).
METRICS = {
    "earshot_source_polls_total": "counter",
    "earshot_source_posts_total": "counter",
    "earshot_source_consecutive_failures": "gauge",
    "earshot_source_last_success_timestamp_seconds": "gauge",
    "earshot_source_rate_limit_waits_total": "counter",
    "earshot_pipeline_mentions_total": "counter",
    "earshot_pipeline_scoring_duration_seconds": "histogram",
    "earshot_pipeline_stage_duration_seconds": "histogram",
    "earshot_store_duplicates_total": "counter",
    "earshot_delivery_attempts_total": "counter",
    "earshot_delivery_latency_seconds": "histogram",
    "earshot_outbox_pending": "gauge",
    "earshot_queue_open_items": "gauge",
    "earshot_queue_oldest_unacknowledged_age_seconds": "gauge",
    "earshot_config_reloads_total": "counter",
    "earshot_config_last_reload_success_timestamp_seconds": "gauge",
    "process_cpu_seconds_total": "counter",
    "process_resident_memory_bytes": "gauge",
}
SERIES = {}
for name, kind in METRICS.items():
    if kind == "histogram":
        for suffix in ("_bucket", "_sum", "_count"):
            SERIES[name + suffix] = name
    else:
        SERIES[name] = name

KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right",
            "bool", "and", "or", "unless", "offset", "inf", "nan"}


def metric_names(expr):
    """Metric names in a PromQL expression (a small lexer, enough for ours)."""
    s = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)           # string literals
    s = re.sub(r"\{[^}]*\}", "", s)                         # label matchers
    s = re.sub(r"\[[^\]]*\]", "", s)                        # range selectors
    s = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", s)
    names = []
    for m in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", s):
        word = m.group(0)
        rest = s[m.end():].lstrip()
        if rest.startswith("(") or word.lower() in KEYWORDS:
            continue                                        # function or keyword
        if m.start() > 0 and s[m.start() - 1] == "$":
            continue                                        # Grafana variable
        names.append(word)
    return names


def panels(items):
    for p in items:
        yield p
        yield from panels(p.get("panels", []))


def main(argv):
    path = "deploy/grafana/earshot-dashboard.json"
    scrape = None
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "--metrics":
            scrape = args.pop(0)
        else:
            path = a
    problems = []
    with open(path, encoding="utf-8") as f:
        dash = json.load(f)

    if not isinstance(dash.get("schemaVersion"), int):
        problems.append("schemaVersion missing")
    if not dash.get("uid") or not dash.get("title"):
        problems.append("uid or title missing")
    variables = {v.get("name"): v for v in dash.get("templating", {}).get("list", [])}
    ds = variables.get("datasource")
    if not ds or ds.get("type") != "datasource" or ds.get("query") != "prometheus":
        problems.append("no `datasource` variable of type datasource/prometheus")

    exprs = []
    ids = set()
    for p in panels(dash.get("panels", [])):
        if p.get("type") == "row":
            continue
        title = p.get("title", "?")
        if p.get("id") in ids:
            problems.append(f"panel {title!r}: duplicate id {p.get('id')}")
        ids.add(p.get("id"))
        if (p.get("datasource") or {}).get("uid") != "${datasource}":
            problems.append(f"panel {title!r}: datasource is not ${{datasource}}")
        targets = p.get("targets") or []
        if not targets:
            problems.append(f"panel {title!r}: no queries")
        for t in targets:
            if not t.get("expr"):
                problems.append(f"panel {title!r}: query {t.get('refId')} has no expr")
            else:
                exprs.append((title, t["expr"], False))
    for name, v in variables.items():
        q = v.get("query")
        q = q.get("query") if isinstance(q, dict) else q
        if v.get("type") == "query" and q:
            m = re.match(r"label_values\((\w+)", q)
            exprs.append((f"${name}", m.group(1) if m else q, True))

    used = set()
    for title, expr, is_variable in exprs:
        if expr.count("(") != expr.count(")") or expr.count("{") != expr.count("}"):
            problems.append(f"{title!r}: unbalanced brackets in {expr}")
        names = metric_names(expr)
        if not names:
            problems.append(f"{title!r}: no metric in {expr}")
        for n in names:
            if n not in SERIES:
                problems.append(f"{title!r}: unknown metric {n} in {expr}")
            else:
                used.add(n)
            if n.endswith("_bucket") and "histogram_quantile" not in expr:
                problems.append(f"{title!r}: {n} outside histogram_quantile")
            if (not is_variable and METRICS.get(SERIES.get(n)) == "counter"
                    and not re.search(r"\b(rate|increase|irate)\(", expr)):
                problems.append(f"{title!r}: counter {n} without rate()/increase()")
    missing = set(SERIES.values()) - {SERIES[n] for n in used}
    for n in sorted(missing):
        problems.append(f"metric {n} is on no panel")

    if scrape:
        with open(scrape, encoding="utf-8") as f:
            exposed = {line.split("{")[0].split()[0] for line in f
                       if line.strip() and not line.startswith("#")}
        for n in sorted(used - exposed):
            problems.append(f"{n} is not in the scrape {scrape}")

    for p in problems:
        print(p)
    print(f"{path}: {len(exprs)} queries, {len(used)} series names, "
          f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
