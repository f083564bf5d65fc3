"""Summarises the runs of internal/bench/compare/run.sh.

For each store, level and figure: the median of each build's runs, and
the median of the new/old ratios of runs in the same round ("paired").

    python3 internal/bench/compare/summary.py DIR
"""
import glob
import json
import re
import statistics
import sys


def figure(level, name):
    webhook = level["webhook"]
    return {
        "webhook/s": webhook["per_sec"],
        "redirect/s": level["redirect"]["per_sec"],
        "webhook p50 ms": webhook["p50_ms"],
        "redirect p50 ms": level["redirect"]["p50_ms"],
        "cpu us/webhook": webhook.get("cpu_us_per_op", 0) + webhook.get("service_cpu_us_per_op", 0),
        "webhook p50/parts": level.get("webhook_over_parts_p50", 0),
        "v2/v1 webhook": level.get("v2_over_v1", 0),
    }[name]


def main(d):
    runs = {}
    for f in glob.glob(d + "/r*-*-*.json"):
        m = re.match(r".*/r(\d+)-(\w+)-(old|new)\.json$", f)
        if m:
            with open(f) as fh:
                runs[(int(m[1]), m[2], m[3])] = {lv["concurrency"]: lv for lv in json.load(fh)["levels"]}
    rounds = sorted({r for r, _, _ in runs})
    fmt = lambda xs: " ".join(f"{x:.3g}" for x in xs)
    med = lambda xs: f"{statistics.median(xs):.3g}" if xs else "-"
    for store in ("sqlite", "postgres"):
        levels = sorted({c for (_, s, _), lvs in runs.items() if s == store for c in lvs})
        for c in levels:
            print(f"## {store} c={c}")
            for name in ("webhook/s", "redirect/s", "webhook p50 ms", "redirect p50 ms", "cpu us/webhook",
                         "webhook p50/parts", "v2/v1 webhook"):
                got = {b: [figure(runs[(r, store, b)][c], name) for r in rounds if (r, store, b) in runs] for b in ("old", "new")}
                paired = [figure(runs[(r, store, "new")][c], name) / figure(runs[(r, store, "old")][c], name)
                          for r in rounds if (r, store, "old") in runs and (r, store, "new") in runs
                          and figure(runs[(r, store, "old")][c], name)]
                print(f"{name:18} old {med(got['old']):>7} [{fmt(got['old'])}]  new {med(got['new']):>7} [{fmt(got['new'])}]"
                      f"  paired {med(paired)} [{fmt(paired)}]")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: summary.py DIR (the OUT of run.sh)")
    main(sys.argv[1])
