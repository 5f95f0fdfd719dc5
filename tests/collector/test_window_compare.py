# SPDX-License-Identifier: Apache-2.0
"""test_window_compare.py - two time windows: `until` on /api/report and
/api/function (the window ending that long ago, its 400s), `report
--since 1h --until 1h`, and `report --compare previous` (and --compare
DURATION) function by function, regressions first, with exact figures in
--json and in the table, and its usage errors.

Time: one batch is sent, then its rows (counts and hist) are moved 90
minutes back in the database, into the middle of the hour before the last
one, and a second batch is sent: the last hour holds only the second, the
hour before it only the first, whichever minute the test runs in (a
window of 1h holds 61 minute buckets, that of the minute in progress
included, so a move of exactly 60 minutes would not leave it)."""
import json

import harness
from harness import check
from test_extensions import bucket_of, bucket_mid_ms

A = bucket_of(1000000)  # about 1 ms
B = bucket_of(2000000)  # about 2 ms
MOVE_S = 5400           # the first batch's rows go 90 minutes back

# name: (before, now), each (calls, errors, total_ms, hist) or None.
FUNCTIONS = {
    "shop.slow": ((100, 0, 100.0, [[A, 100]]), (100, 0, 200.0, [[B, 100]])),  # time x2
    "shop.flaky": ((100, 2, 100.0, None), (100, 3, 100.0, None)),  # error rate x1.5
    "shop.same": ((50, 0, 50.0, None), (50, 0, 50.0, None)),
    "shop.faster": ((10, 0, 20.0, None), (10, 0, 10.0, None)),
    "shop.gone": ((7, 0, 7.0, None), None),
    "shop.new": (None, (5, 0, 5.0, None)),
}
# regressions first, the worst first (x2 time before x1.5 errors), then
# by calls in both windows
ORDER = ["shop.slow", "shop.flaky", "shop.same", "shop.faster", "shop.gone", "shop.new"]
STATUS = {"shop.slow": "regressed", "shop.flaky": "regressed", "shop.same": "unchanged",
          "shop.faster": "improved", "shop.gone": "gone", "shop.new": "new"}


def batch(which):
    """The elements of one window (0: before, 1: now)."""
    out = []
    for name, sides in FUNCTIONS.items():
        side = sides[which]
        if side is None:
            continue
        calls, errors, total_ms, hist = side
        e = {"name": name, "department": "shop", "calls": calls, "errors": errors,
             "total_ms": total_ms}
        if hist:
            e["hist"] = hist
        out.append(e)
    return out


def send_two_windows(srv, db, key):
    """Sends the window before (moved MOVE_S back), then the one now."""
    status, reply = srv.ingest({"functions": batch(0)}, key)
    check(status == 200, "ingest %d %r" % (status, reply))
    for table in ("counts", "hist"):
        harness.query(db, "UPDATE %s SET bucket = bucket - %d" % (table, MOVE_S))
    status, reply = srv.ingest({"functions": batch(1)}, key)
    check(status == 200, "ingest %d %r" % (status, reply))


def calls_by_name(report):
    return {f["name"]: f["calls"] for f in report["functions"] if f["calls"]}


def expected_calls(which):
    return {n: s[which][0] for n, s in FUNCTIONS.items() if s[which] is not None}


def check_api(srv):
    now = srv.get_json("/api/report?since=1h&limit=0")
    before = srv.get_json("/api/report?since=1h&until=1h&limit=0")
    check(calls_by_name(now) == expected_calls(1), "last hour: %r" % calls_by_name(now))
    check(calls_by_name(before) == expected_calls(0), "hour before: %r" % calls_by_name(before))
    w = before["window"]
    check(w["since_s"] == 3600 and w["until_s"] == 3600 and now["window"]["until_s"] == 0,
          "window: %r" % w)
    # It ends where a minute begins, an hour before the window of now
    # began (the same minute, or the next one if the clock ticked).
    check((w["to"] + 1) % 60 == 0 and w["to"] + 1 - w["from"] == 3600, "window: %r" % w)
    check(w["to"] + 1 - now["window"]["from"] in (0, 60), "adjacent: %r %r" % (w, now["window"]))
    slow = {f["name"]: f for f in before["functions"]}["shop.slow"]
    check(slow["mean_ms"] == 1.0 and slow["p95_ms"] == bucket_mid_ms(A), "slow before: %r" % slow)
    # A day ending an hour ago: the hour before, not the last hour.
    day = srv.get_json("/api/report?since=24h&until=1h&limit=0")
    check(calls_by_name(day) == expected_calls(0), "24h until 1h: %r" % calls_by_name(day))

    fn = srv.get_json("/api/function?name=shop.slow&since=1h&until=1h")
    fw = fn["window"]
    check(fn["calls"] == 100 and fn["mean_ms"] == 1.0 and fn["p95_ms"] == bucket_mid_ms(A) and
          fw["until_s"] == 3600 and (fw["to"] + 1) % 60 == 0 and fw["to"] + 1 - fw["from"] == 3600,
          "function before: %r" % {k: fn[k] for k in ("calls", "mean_ms", "p95_ms", "window")})
    check(sum(p["calls"] for p in fn["series"]) == 100, "series sums to 100")
    fn = srv.get_json("/api/function?name=shop.slow&since=1h")
    check(fn["calls"] == 100 and fn["mean_ms"] == 2.0 and fn["p95_ms"] == bucket_mid_ms(B),
          "function now: %r" % fn)

    for path in ("/api/report", "/api/function"):
        for bad in ("all", "-1h", "1x", "", "1h2"):
            status, body, _ = srv.request("%s?name=shop.slow&since=1h&until=%s" % (path, bad))
            check(status == 400 and b"until" in body, "%s until=%r: %d %r" % (path, bad, status, body))


def check_cli(db):
    before = json.loads(harness.cli("report", "--db", db, "--since", "1h", "--until", "1h", "--json"))
    check(before["until"] == "1h" and
          calls_by_name(before["projects"][0]) == expected_calls(0), "report --until: %r" % before)
    text = harness.cli("report", "--db", db, "--since", "1h", "--until", "1h")
    check("== project shop, window 1h ending 1h ago ==" in text, "title: " + text[:200])

    doc = json.loads(harness.cli("report", "--db", db, "--since", "1h", "--compare", "previous",
                                 "--json"))
    check(doc["compare"] == "previous" and doc["since"] == "1h", "doc: %r" % doc)
    p = doc["projects"][0]
    check(p["baseline"]["to"] + 1 == p["window"]["from"] and
          p["baseline"]["from"] == p["window"]["from"] - 3600, "windows: %r %r" %
          (p["window"], p["baseline"]))
    fns = p["functions"]
    check([f["name"] for f in fns] == ORDER, "order: %r" % [f["name"] for f in fns])
    by = {f["name"]: f for f in fns}
    check({n: f["status"] for n, f in by.items()} == STATUS, "status: %r" % by)
    slow = by["shop.slow"]
    check((slow["calls"], slow["calls_before"], slow["mean_ms"], slow["mean_ms_before"],
           slow["mean_change"], slow["p95_ms"], slow["p95_ms_before"]) ==
          (100, 100, 2.0, 1.0, 1.0, bucket_mid_ms(B), bucket_mid_ms(A)), "slow: %r" % slow)
    check(abs(slow["p95_change"] - (bucket_mid_ms(B) / bucket_mid_ms(A) - 1)) < 1e-12,
          "slow p95 change: %r" % slow)
    flaky = by["shop.flaky"]
    check((flaky["errors"], flaky["errors_before"], flaky["error_rate"], flaky["error_rate_before"],
           flaky["mean_change"]) == (3, 2, 0.03, 0.02, 0.0), "flaky: %r" % flaky)
    same = by["shop.same"]
    check((same["mean_ms"], same["mean_ms_before"], same["mean_change"], same["p95_ms"]) ==
          (1.0, 1.0, 0.0, None), "same: %r" % same)
    new, gone = by["shop.new"], by["shop.gone"]
    check((new["calls"], new["calls_before"], new["mean_ms_before"], new["mean_change"]) ==
          (5, 0, None, None), "new: %r" % new)
    check((gone["calls"], gone["calls_before"], gone["mean_ms"], gone["mean_ms_before"]) ==
          (0, 7, None, 1.0), "gone: %r" % gone)

    # With since 1h, "1h earlier" is the previous window.
    shifted = json.loads(harness.cli("report", "--db", db, "--since", "1h", "--compare", "1h",
                                     "--json"))
    check(shifted["projects"][0]["functions"] == fns, "--compare 1h: %r" % shifted)
    # The window ending an hour ago against the hour before it: nothing
    # there, so everything it had is gone.
    older = json.loads(harness.cli("report", "--db", db, "--since", "1h", "--until", "1h",
                                   "--compare", "previous", "--json"))
    check({f["name"]: f["status"] for f in older["projects"][0]["functions"]} ==
          {n: "new" for n in expected_calls(0)}, "hour before against the one before: %r" % older)
    picked = json.loads(harness.cli("report", "--db", db, "--since", "1h", "--compare", "previous",
                                    "--filter", "shop.s", "--limit", "1", "--json"))
    check([f["name"] for f in picked["projects"][0]["functions"]] == ["shop.slow"],
          "--filter --limit: %r" % picked)

    # The table: the same order, the figures in their units, new marked.
    text = harness.cli("report", "--db", db, "--since", "1h", "--compare", "previous")
    check("window 1h against the 1h before it" in text, "title: " + text[:300])
    lines = [l for l in text.splitlines() if l.startswith("shop.")]
    check([l.split()[0] for l in lines] == ORDER, "table order:\n" + text)
    cells = {l.split()[0]: l.split()[1:] for l in lines}
    check(cells["shop.slow"][:8] == ["regressed", "100", "100", "0.00%", "0.00%", "2.00", "ms",
                                     "1.00"] and "+100.0%" in cells["shop.slow"],
          "slow row: %r" % cells["shop.slow"])
    check(cells["shop.new"][:5] == ["new", "5", "0", "0.00%", "-"], "new row: %r" % cells["shop.new"])
    check(cells["shop.same"][0] == "unchanged" and "+0.0%" in cells["shop.same"],
          "same row: %r" % cells["shop.same"])

    for args in (["--until", "all"], ["--until", "1x"], ["--compare", "next"],
                 ["--compare", "0"], ["--compare", "previous", "--since", "all"],
                 ["--compare", "previous", "--sort", "calls"]):
        rc, out, err = harness.cli_result("report", "--db", db, *args)
        check(rc == 2 and err.startswith("codensm-collector: ") and out == "",
              "%r: %d %r %r" % (args, rc, out, err))


def test(tmp):
    db, key = harness.shop_database(tmp)
    with harness.Collector(db) as srv:
        send_two_windows(srv, db, key)
        check_api(srv)
        check_cli(db)


if __name__ == "__main__":
    harness.main(test)
