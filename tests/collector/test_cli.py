# SPDX-License-Identifier: Apache-2.0
"""test_cli.py - the command line: key create/list/revoke (a revoked key
is refused at once by a running server), `report` as a table and as
JSON with exact figures recomputed here from what the test sent, using
the formulas of docs/metrics.md, and the option syntax (getopt_long):
"--opt=value" and "--opt value" alike, anywhere after the command, and
a clear error naming an unknown, incomplete or over-filled option."""
import json
import math
import os
import re
import statistics

import harness
from harness import check

# (name, department, weight, calls, errors, total_ms), sent in two halves.
SHOP = [
    ("checkout.apply_coupon", "engine", 9, 1240, 3, 47000),
    ("checkout.total", "engine", 5, 400, 0, 800),
    ("search.query", "discovery", 3, 2000, 100, 10000.5),
    ("legacy.export", "engine", 1, 0, 0, 0),
    ("admin.rare", "ops", 2, 1, 0, 1),
    ("search.suggest", "discovery", 1, 600, 60, 9000),
]


def halves(rows):
    first, second = [], []
    for n, d, w, c, e, t in rows:
        first.append({"name": n, "department": d, "value_weight": w,
                      "calls": c // 2, "errors": e // 2, "total_ms": t / 2})
        second.append({"name": n, "department": d, "value_weight": w,
                       "calls": c - c // 2, "errors": e - e // 2, "total_ms": t - t / 2})
    return {"functions": first}, {"functions": second}


def expected(rows):
    """docs/metrics.md, recomputed independently of rollup.c."""
    cmax = max(r[3] for r in rows)
    fns = {}
    medians = {}
    for dep in {r[1] for r in rows}:
        lat = [r[5] / r[3] for r in rows if r[1] == dep and r[3] > 0]
        medians[dep] = statistics.median(lat) if lat else 0
    for n, d, w, c, e, t in rows:
        er = e / c if c else 0
        mean = t / c if c else 0
        contrib = w * (c - e)
        util = math.log1p(c) / math.log1p(cmax)
        speed = 1 if mean <= medians[d] or mean <= 0 else medians[d] / mean
        fns[n] = dict(department=d, calls=c, errors=e, error_rate=er, mean_ms=mean,
                      contribution=contrib, utilisation=util, reliability=1 - er,
                      speed=speed, oee=util * (1 - er) * speed, debt=er * contrib,
                      use="never" if c == 0 else ("rare" if c < 0.001 * cmax else "used"))
    return fns


def close(a, b):
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


def test(tmp):
    db = harness.new_db(tmp, "c.db")
    key = harness.key_create(db, "shop")
    blog_key = harness.key_create(db, "blog")
    spare = harness.key_create(db, "shop")

    listing = harness.cli("key", "list", "--db", db)
    for k, project in [(key, "shop"), (blog_key, "blog"), (spare, "shop")]:
        check(re.search(re.escape(k[:13]) + r"\.\.\. +%s .*active" % project, listing),
              "key list lacks %s:\n%s" % (k[:13], listing))
    check(key not in listing and key[13:] not in listing, "key list shows a whole key")
    harness.cli("key", "revoke", "cnsm_nothere", "--db", db, check_rc=1)
    harness.cli("key", "create", "", "--db", db, check_rc=1)
    harness.cli("key", "bogus", "--db", db, check_rc=2)

    with harness.Collector(db) as srv:
        check(srv.ingest({"functions": [{"name": "x", "calls": 1}]}, spare)[0] == 200, "spare ok")
        harness.cli("key", "revoke", spare[:13] + "...", "--db", db)  # by listed hint
        check(srv.ingest({"functions": [{"name": "x", "calls": 1}]}, spare)[0] == 401,
              "revoked key still accepted by the running server")
        check("revoked" in harness.cli("key", "list", "--db", db), "list shows revocation")
        harness.cli("key", "revoke", spare, "--db", db, check_rc=1)  # already revoked

        a, b = halves(SHOP)
        for part in (a, b):
            status, body = srv.ingest(part, key)
            check(status == 200, "shop ingest: %d %s" % (status, body))
        status, _ = srv.ingest({"functions": [
            {"name": "blog.render", "department": "web", "value_weight": 4,
             "calls": 10, "errors": 1, "total_ms": 5}]}, blog_key)
        check(status == 200, "blog ingest")

    # "x" came from the spare key before it was revoked: part of shop.
    rows = SHOP + [("x", "unassigned", 1, 1, 0, 0)]
    exp = expected(rows)
    doc = json.loads(harness.cli("report", "--db", db, "--json"))
    check(doc["since"] == "24h", "default window")
    projects = {p["project"]: p for p in doc["projects"]}
    check(sorted(projects) == ["blog", "shop"], "projects: %r" % sorted(projects))
    shop = projects["shop"]
    got = {f["name"]: f for f in shop["functions"]}
    check(sorted(got) == sorted(exp), "functions: %r" % sorted(got))
    for name, want in exp.items():
        for field, value in want.items():
            g = got[name][field]
            ok = g == value if isinstance(value, str) else close(g, value)
            check(ok, "%s.%s = %r, wanted %r" % (name, field, g, value))
    nsm = sum(f["contribution"] for f in exp.values())
    check(close(shop["nsm"]["value"], nsm), "NSM %r != %r" % (shop["nsm"]["value"], nsm))
    check(close(sum(p["value"] for p in shop["nsm"]["trend"]), nsm), "trend sums to NSM")
    check(shop["totals"]["calls"] == sum(r[3] for r in rows), "total calls")

    deps = {d["department"]: d for d in shop["departments"]}
    for dep in ("engine", "discovery", "ops", "unassigned"):
        fs = [f for f in exp.values() if f["department"] == dep]
        calls = sum(f["calls"] for f in fs)
        want = dict(functions=len(fs), calls=calls, errors=sum(f["errors"] for f in fs),
                    contribution=sum(f["contribution"] for f in fs),
                    value_share=sum(f["contribution"] for f in fs) / nsm,
                    oee=sum(f["calls"] * f["oee"] for f in fs) / calls if calls else 0,
                    debt=sum(f["debt"] for f in fs),
                    underused=sum(1 for f in fs if f["use"] != "used"),
                    median_ms=statistics.median([f["mean_ms"] for f in fs if f["calls"]] or [0]))
        for field, value in want.items():
            check(close(deps[dep][field], value), "%s.%s = %r, wanted %r" % (
                dep, field, deps[dep][field], value))

    by_value = sorted(exp, key=lambda n: (-exp[n]["contribution"], n))
    check([f["name"] for f in shop["top_contributors"]] == [n for n in by_value if exp[n]["contribution"] > 0],
          "top contributors order")
    by_debt = sorted((n for n in exp if exp[n]["debt"] > 0), key=lambda n: (-exp[n]["debt"], n))
    check([f["name"] for f in shop["debt"]] == by_debt, "debt order %r" % [f["name"] for f in shop["debt"]])
    check({f["name"]: f["use"] for f in shop["underused"]} ==
          {"legacy.export": "never", "admin.rare": "rare", "x": "rare"}, "underused")
    cells = {c["name"]: c for row in shop["heatmap"]["rows"] for c in row["cells"]}
    check(sorted(cells) == sorted(by_debt), "heatmap cells")
    check(close(cells[by_debt[0]]["intensity"], 1.0), "heatmap intensity")
    blog = projects["blog"]
    check(blog["nsm"]["value"] == 36 and blog["functions"][0]["calls"] == 10, "blog figures")

    # --project, --since, the table, errors.
    one = json.loads(harness.cli("report", "--db", db, "--project", "shop", "--since", "15m", "--json"))
    check([p["project"] for p in one["projects"]] == ["shop"], "--project filters")
    check(close(one["projects"][0]["nsm"]["value"], nsm), "15m window holds everything")
    check(one["projects"][0]["window"]["since_s"] == 900, "15m is 900 s")
    table = harness.cli("report", "--db", db, "--project", "shop", "--since", "7d")
    check("North-Star Metric" in table and ": %g" % nsm in table, "table NSM:\n" + table)
    for name, want in exp.items():
        line = [l for l in table.splitlines() if l.startswith(name + " ")]
        check(line, "table lacks %s:\n%s" % (name, table))
        check(re.search(r"\s%d\s+%d\s" % (want["calls"], want["errors"]), line[0]),
              "table row for %s: %s" % (name, line[0]))
    check("never" in table and "legacy.export" in table.split("Underused")[1], "table underuse")
    check("Debt that hurts" in table and "engine" in table and "discovery" in table, "table sections")
    harness.cli("report", "--db", db, "--project", "nope", check_rc=1)
    harness.cli("report", "--db", db, "--since", "yesterday", check_rc=2)
    harness.cli("report", "--db", db, "--since", "0m", check_rc=2)
    all_time = json.loads(harness.cli("report", "--db", db, "--since", "all", "--json"))
    check(all_time["projects"][1]["window"]["since_s"] == 0, "all time")
    option_forms(db)


def refused(args, *words):
    """args is a usage error (2) whose stderr names every word."""
    rc, out, err = harness.cli_result(*args)
    check(rc == 2, "%s -> %d, wanted 2\n%s" % (args, rc, err))
    check(out == "", "%s printed on stdout: %r" % (args, out))
    first = err.splitlines()[0] if err else ""
    for w in words:
        check(w in first, "%s: %r lacks %r" % (args, first, w))


def option_forms(db):
    """Both spellings of a valued option, options among the positional
    words, and the errors."""
    listing = harness.cli("key", "list", "--db", db)
    check(harness.cli("key", "list", "--db=" + db) == listing, "--db=PATH")
    check(harness.cli("key", "--db", db, "list") == listing, "option between words")
    check(harness.cli("--db=" + db, "list", check_rc=2) == "", "the command comes first")
    spaced = json.loads(harness.cli("report", "--db", db, "--project", "shop",
                                    "--since", "15m", "--json"))
    joined = json.loads(harness.cli("report", "--json", "--db=" + db, "--project=shop",
                                    "--since=15m"))
    for doc in (spaced, joined):
        check([p["project"] for p in doc["projects"]] == ["shop"], "--project either way")
        check(doc["projects"][0]["window"]["since_s"] == 900, "--since either way")
    # The value, not the trend: its points are times of the clock, and the
    # two reports may fall either side of a step (a fresh clone's CI once).
    for field in ("value", "previous"):
        check(spaced["projects"][0]["nsm"][field] == joined["projects"][0]["nsm"][field],
              "same report: nsm " + field)
    refused(["report", "--db", db, "--bogus"], "unknown", "--bogus")
    refused(["report", "--bogus=1", "--db", db], "unknown", "--bogus=1")
    refused(["key", "list", "-x", "--db", db], "unknown", "-x")
    refused(["report", "--db"], "--db", "needs a value")
    refused(["report", "--db", db, "--json=yes"], "--json", "takes no value")
    refused(["serve", "--db", db, "--threads=0"], "--threads", "1 to 256")
    refused(["serve", "--db", db, "--threads", "300"], "--threads", "1 to 256")
    refused(["report", "--db", db, "--since=yesterday"], "--since")


if __name__ == "__main__":
    harness.main(test)
