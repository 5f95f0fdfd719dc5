# SPDX-License-Identifier: Apache-2.0
"""test_report_listing.py - `report --sort FIELD --limit N --filter TEXT`
over functions ingested through the real collector: the order of each
field, the cut and its "more" line, the name filter (case-sensitive),
the same choice in --json's "functions" while every other figure stays
over all functions and total_ms/mean_ms stay exact numbers in ms, the
usage errors (exit 2, one line naming the option), and the table's time
cells in ns, µs, ms or s as fits, aligned under their header, or "not
timed" for a function called without any time."""
import json
import math
import re

import harness
from harness import check

# (name, department, weight, calls, errors, total_ms); means 850 ns,
# 12.4 µs, 3.21 ms, 1.20 s, none.  Value = weight x (calls - errors):
# 6000, 4990, 950, 100, 0, which is the default order.
FNS = [
    ("net.write", "io", 2, 3000, 0, 37.2),
    ("net.read", "io", 1, 5000, 10, 4.25),
    ("db.query", "store", 10, 100, 5, 321),
    ("db.migrate", "store", 100, 2, 1, 2400),
    ("net.idle", "io", 1, 0, 0, 0),
]
BY_VALUE = [f[0] for f in FNS]
MEANS = {"net.read": "850 ns", "net.write": "12.4 µs", "db.query": "3.21 ms",
         "db.migrate": "1.20 s"}
FIELDS = ["name", "department", "weight", "calls", "errors", "error_rate", "mean",
          "total", "value", "oee", "debt", "p50", "p95", "p99", "self"]


def listing(db, *args):
    """The per-function listing of the table: (title, [row lines], rest)."""
    table = harness.cli("report", "--db", db, "--since", "all", *args)
    lines = table.splitlines()
    start = [i for i, l in enumerate(lines) if l.startswith(("Functions by", "Top functions"))]
    check(len(start) == 1, "one listing in:\n" + table)
    i = start[0]
    end = lines.index("", i)
    body = lines[i + 1:end]
    rows = [l for l in body if l.split(" ")[0] in BY_VALUE]
    return lines[i], rows, body, table


def names(rows):
    return [r.split(" ")[0] for r in rows]


def by(field, oee):
    """The expected order of --sort field: descending figures, ascending
    texts, ties in value order (oee: {name: OEE} as --json says, the one
    figure not recomputed here: test_cli checks it)."""
    idx = {"name": 0, "department": 1, "weight": 2, "calls": 3, "errors": 4}
    key = {
        "error_rate": lambda f: f[4] / f[3] if f[3] else 0,
        "mean": lambda f: f[5] / f[3] if f[3] else 0,
        "total": lambda f: f[5],
        "value": lambda f: f[2] * (f[3] - f[4]),
        "debt": lambda f: (f[4] / f[3] if f[3] else 0) * f[2] * (f[3] - f[4]),
        "oee": lambda f: oee[f[0]],
        # No histograms sent here: every percentile unknown, value order
        # (test_extensions.py sorts by measured ones); self time likewise
        # (test_edges.py).
        "p50": lambda f: 0, "p95": lambda f: 0, "p99": lambda f: 0, "self": lambda f: 0,
    }.get(field, lambda f: f[idx[field]])
    if field in ("name", "department"):
        return [f[0] for f in sorted(FNS, key=lambda f: (key(f), BY_VALUE.index(f[0])))]
    return [f[0] for f in sorted(FNS, key=lambda f: (-key(f), BY_VALUE.index(f[0])))]


def refused(db, args, *words, one_line=True):
    """A usage error (2) whose first stderr line names every word; a bad
    value is that one line, a missing one (getopt's) is followed by the
    usage, as for every option."""
    rc, out, err = harness.cli_result("report", "--db", db, *args)
    check(rc == 2, "%s -> %d, wanted 2\n%s" % (args, rc, err))
    check(out == "", "%s printed on stdout: %r" % (args, out))
    lines = err.splitlines() or [""]
    check(len(lines) == 1 or not one_line, "%s: one line wanted, got %r" % (args, err))
    for w in words:
        check(w in lines[0], "%s: %r lacks %r" % (args, lines[0], w))
    return lines[0]


def test(tmp):
    db, key = harness.shop_database(tmp)
    with harness.Collector(db) as srv:
        status, body = srv.ingest({"functions": [
            {"name": n, "department": d, "value_weight": w, "calls": c, "errors": e,
             "total_ms": t} for n, d, w, c, e, t in FNS]}, key)
        check(status == 200, "ingest: %d %s" % (status, body))

    # Default: today's order and title, every function (fewer than 30).
    title, rows, _, table = listing(db)
    check(title == "Top functions by value:", "default title %r" % title)
    check(names(rows) == BY_VALUE, "default order %r" % names(rows))

    # --sort calls --limit 2: the two most called, and how many were cut;
    # the summaries still count all five.
    title, rows, body, table = listing(db, "--sort", "calls", "--limit", "2")
    check(title == "Functions by calls:", "title %r" % title)
    check(names(rows) == ["net.read", "net.write"], "--sort calls --limit 2: %r" % names(rows))
    check(body[-1] == "... 3 more (a larger --limit shows them)", "cut line %r" % body[-1])
    check("Totals: 5 functions (4 called), 8102 calls, 16 errors" in table, "totals:\n" + table)
    under = table.split("Underused")[1]
    check("net.idle" in under, "underuse over all functions:\n" + table)
    check("db.migrate" in table.split("Debt that hurts")[1], "debt over all functions")

    # Every field sorts as documented (figures largest first, ties by value).
    doc = json.loads(harness.cli("report", "--db", db, "--since", "all", "--json"))
    oee = {f["name"]: f["oee"] for f in doc["projects"][0]["functions"]}
    for field in FIELDS:
        _, rows, _, _ = listing(db, "--sort=" + field)
        want = by(field, oee)
        check(names(rows) == want, "--sort %s: %r, wanted %r" % (field, names(rows), want))
    check(by("name", oee) != BY_VALUE and by("calls", oee) != BY_VALUE, "the orders differ")

    # --filter: a case-sensitive substring of the name.
    title, rows, _, _ = listing(db, "--filter", "net.")
    check(names(rows) == ["net.write", "net.read", "net.idle"], "--filter net.: %r" % names(rows))
    check(title == 'Top functions by value whose name contains "net." (3 of 5):', "title %r" % title)
    title, rows, body, _ = listing(db, "--filter", "NET")
    check(rows == [] and body == ["  none"], "--filter NET is case-sensitive: %r" % body)
    _, rows, body, _ = listing(db, "--filter", "t", "--sort", "name", "--limit", "1")
    check(names(rows) == ["db.migrate"] and body[-1].startswith("... 3 more"),
          "filter, sort and limit together: %r" % body)

    # --json: "functions" is the choice, everything else over all, and the
    # figures still plain ms.
    doc = json.loads(harness.cli("report", "--db", db, "--since", "all", "--json"))
    check([f["name"] for f in doc["projects"][0]["functions"]] == BY_VALUE, "json default")
    doc = json.loads(harness.cli("report", "--db", db, "--since", "all", "--json",
                                 "--sort", "calls", "--limit", "2", "--filter", "net"))
    shop = doc["projects"][0]
    got = shop["functions"]
    check([f["name"] for f in got] == ["net.read", "net.write"], "json choice %r" % got)
    check(got[0]["total_ms"] == 4.25 and math.isclose(got[0]["mean_ms"], 4.25 / 5000),
          "json times in ms: %r" % got[0])
    check(shop["functions_total"] == 5 and shop["totals"]["calls"] == 8102, "json totals")
    check({f["name"] for f in shop["underused"]} == {"net.idle", "db.migrate"},
          "json underused %r" % shop["underused"])
    check([f["name"] for f in shop["top_contributors"]] == BY_VALUE[:4], "json top")
    one = json.loads(harness.cli("report", "--db", db, "--since", "all", "--json",
                                 "--limit", "1"))
    check([f["name"] for f in one["projects"][0]["functions"]] == ["net.write"], "json limit")

    # Usage errors: exit 2, one line naming the option and what it takes.
    err = refused(db, ["--sort", "bogus"], "--sort", "bogus")
    listed = re.findall(r"[a-z_0-9]+", err.split("one of", 1)[1].split("(")[0])
    check(listed == FIELDS, "--sort error lists %r" % listed)
    refused(db, ["--sort", "Calls"], "--sort")
    for bad in ("0", "-1", "two", "", "1x", "9999999999"):
        refused(db, ["--limit", bad], "--limit", "1")
    refused(db, ["--limit"], "--limit", "needs a value", one_line=False)
    refused(db, ["--filter"], "--filter", "needs a value", one_line=False)

    time_units(db)
    not_timed(tmp)


def not_timed(tmp):
    """A function called in the window without any time (no total, no
    histogram: its build counts it but does not time it) shows "not timed"
    under MEAN, not 0, and --json says "timed": false; one with a time, or
    never called, is timed."""
    db = harness.new_db(tmp, "not-timed.db")
    key = harness.key_create(db, "shop")
    with harness.Collector(db) as srv:
        status, body = srv.ingest({"functions": [
            {"name": "acc.get", "department": "io", "value_weight": 1, "calls": 500,
             "errors": 0, "total_ms": 0},
            {"name": "acc.slow", "department": "io", "value_weight": 1, "calls": 10,
             "errors": 0, "total_ms": 5},
            {"name": "acc.idle", "department": "io", "value_weight": 1, "calls": 0,
             "errors": 0, "total_ms": 0}]}, key)
        check(status == 200, "ingest: %d %s" % (status, body))
    table = harness.cli("report", "--db", db, "--since", "all")
    lines = table.splitlines()
    header = [l for l in lines if l.startswith("FUNCTION ")][0]
    end = header.index("MEAN") + len("MEAN")
    for name, mean in (("acc.get", "not timed"), ("acc.slow", "500 µs"), ("acc.idle", "0 ns")):
        row = [l for l in lines if l.startswith(name + " ")][0]
        check(row[end - len(mean):end] == mean and row[end] == " ",
              "%s: %r not under MEAN:\n%s\n%s" % (name, mean, header, row))
    doc = json.loads(harness.cli("report", "--db", db, "--since", "all", "--json"))
    timed = {f["name"]: f["timed"] for f in doc["projects"][0]["functions"]}
    check(timed == {"acc.get": False, "acc.slow": True, "acc.idle": True},
          "json timed: %r" % timed)


def time_units(db):
    """Each mean in the unit that fits, right-aligned under MEAN."""
    table = harness.cli("report", "--db", db, "--since", "all")
    lines = table.splitlines()
    header = [l for l in lines if l.startswith("FUNCTION ")][0]
    end = header.index("MEAN") + len("MEAN")
    for name, mean in MEANS.items():
        row = [l for l in lines if l.startswith(name + " ")][0]
        check(row[end - len(mean):end] == mean, "%s: %r not under MEAN:\n%s\n%s" % (
            name, mean, header, row))
        check(row[end] == " ", "%s: MEAN cell overflows: %r" % (name, row))
    check(not re.search(r"\.\d{3} ms", table), "a time still in ms with 3 decimals:\n" + table)
    dept = [l for l in lines if l.startswith("DEPARTMENT ")][0]
    io = [l for l in lines if l.startswith("io ")][0]
    dend = dept.index("MEAN") + len("MEAN")
    # io: (37.2 + 4.25) ms over 8000 calls = 5.18 µs.
    check(io[dend - len("5.18 µs"):dend] == "5.18 µs", "department mean:\n%s\n%s" % (dept, io))
    # store: (321 + 2400) ms over 102 calls = 26.7 ms.
    store = [l for l in lines if l.startswith("store ")][0]
    check(store[dend - len("26.7 ms"):dend] == "26.7 ms", "department mean:\n%s\n%s" % (dept, store))
    check(re.search(r"mean \d+(\.\d+)? (ns|µs|ms|s),", table), "totals mean:\n" + table)


if __name__ == "__main__":
    harness.main(test)
