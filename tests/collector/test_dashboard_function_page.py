# SPDX-License-Identifier: Apache-2.0
"""test_dashboard_function_page.py - the dashboard's percentiles and
function page, in Debian's headless Chromium over the DevTools protocol
(cdp.py).  5,000 functions are sent over real HTTP with every value weight
1 (none configured), one of them, svc.needle, with a known histogram (90
calls about 20 us, 10 about 200 us), a file and a line, and two more
minutes of it two hours ago written into the database.  Expected times
are computed here from the bucket formula of docs/ingest-contract.md:
- the headline says "Successful calls", not value, and shows calls,
  errors, error rate and the slowest p95 first;
- the search finds svc.needle among 5,000 and its row shows p50, p95 and
  p99; sorting by p95 puts the functions without histograms last both
  ways;
- a click on its row opens its page (#/function/svc.needle): name,
  department, file:line, calls, errors, error rate, times and p50/p95/p99,
  and a trend with one bar per step of the 24-hour window (58) holding
  the right calls, and p95 points where there were histograms;
- the browser's Back (the DevTools protocol's navigation history) returns
  to the list with the search kept; "all functions" does the same; an
  unknown function's page says so.
Screenshots of the list sorted by p95 and of the function page are kept
in build/tests/collector/ (collector-dashboard-percentiles.png,
collector-dashboard-function.png).  Skips (exit 77) without chromium."""
import base64
import json
import os
import urllib.parse

import cdp
import harness
from harness import check
from test_extensions import bucket_of, bucket_mid_ms, percentile_ms

ARTEFACT_DIR = os.environ.get("CNSM_ARTEFACT_DIR", os.getcwd())
N = 5000
DEPARTMENTS = ["api", "billing", "search", "storage", "web"]
A, B = bucket_of(20000), bucket_of(200000)
FAST, SLOW = bucket_of(5000), bucket_of(1000000)
NEEDLE = "svc.needle"

TABLE = """JSON.stringify((() => {
  const t = document.querySelector("#functions table");
  return t ? [...t.querySelectorAll("tbody tr")].map((r) =>
               [...r.children].map((c) => c.textContent)) : [];
})())"""

PAGE = """JSON.stringify((() => {
  const kpis = {};
  for (const k of document.querySelectorAll("#fn-kpis .kpi"))
    kpis[k.dataset.kpi] = k.querySelector("b").textContent;
  const svg = document.querySelector("#fn-trend svg");
  return {view: document.getElementById("main").dataset.view,
          hash: location.hash,
          listShown: getComputedStyle(document.getElementById("functions-card")).display !== "none",
          pageShown: getComputedStyle(document.getElementById("function-card")).display !== "none",
          name: document.getElementById("fn-name").textContent,
          dept: document.getElementById("fn-dept-pill").textContent,
          where: document.getElementById("fn-where").textContent,
          kpis, kpiText: document.getElementById("fn-kpis").textContent,
          points: svg ? svg.dataset.points : null,
          bars: [...document.querySelectorAll("#fn-trend rect.fn-calls")].map((r) =>
                  [Number(r.dataset.t), Number(r.dataset.calls)]),
          lat: [...document.querySelectorAll("#fn-trend circle.fn-lat")].map((c) =>
                  [Number(c.dataset.t), Number(c.dataset.ms)]),
          legend: document.querySelector("#fn-trend .fn-legend")?.textContent};
})())"""


def js_num(x, digits):
    """The page's num(): en-US grouping, at most digits decimals."""
    text = "{:,.{}f}".format(x, digits)
    return text.rstrip("0").rstrip(".") if digits else text


def js_ms(v):
    """The page's ms(): a time in ms in the unit that shows it."""
    a = abs(v)
    if a >= 1000:
        return js_num(v / 1000, 2) + " s"
    if a >= 1 or a == 0:
        return js_num(v, 3) + " ms"
    if a >= 0.001:
        return js_num(v * 1000, 3) + " \u00b5s"
    return js_num(v * 1e6, 0) + " ns"


def function(i):
    """Function i: calls i + 1, its time per call i microseconds, weight 1."""
    f = {"name": "svc.f%04d" % i, "department": DEPARTMENTS[i % 5], "value_weight": 1,
         "calls": i + 1, "errors": i % 3, "total_ms": (i + 1) * i / 1000.0}
    if i == 4321:
        f.update(name=NEEDLE, calls=100, errors=5, total_ms=3.5, hist=[[A, 90], [B, 10]],
                 file="src/needle.c", line=42)
    elif i == 1:
        f["hist"] = [[FAST, 2]]
    elif i == 2:
        f["hist"] = [[SLOW, 3]]
    return f


def set_search(browser, text):
    browser.evaluate('(() => { const s = document.getElementById("fn-search");'
                     ' s.value = %s; s.dispatchEvent(new Event("input")); })()'
                     % json.dumps(text))


def page(browser):
    return json.loads(browser.evaluate(PAGE))


def screenshot(browser, name):
    """Saves the page as ARTEFACT_DIR/name (a PNG); returns its path."""
    path = os.path.join(ARTEFACT_DIR, name)
    shot = base64.b64decode(browser.call("Page.captureScreenshot", {"format": "png"},
                                         page=True)["data"])
    with open(path, "wb") as f:
        f.write(shot)
    check(len(shot) > 10000 and shot[:8] == b"\x89PNG\r\n\x1a\n", "%s is not a PNG" % name)
    return path


def go_back(browser):
    """The browser's Back button: the previous entry of its history."""
    h = browser.call("Page.getNavigationHistory", page=True)
    entry = h["entries"][h["currentIndex"] - 1]
    browser.call("Page.navigateToHistoryEntry", {"entryId": entry["id"]}, page=True)


def test(tmp):
    harness.chromium_or_skip()
    db, key = harness.shop_database(tmp)
    with harness.Collector(db) as srv, cdp.Browser() as browser:
        harness.ingest_all(srv, key, [function(i) for i in range(N)])
        now_bucket = harness.query(db, "SELECT bucket FROM counts WHERE name = ?", (NEEDLE,))[0][0]
        older = now_bucket - 7200
        harness.query(db, "INSERT INTO counts(project, name, bucket, version, instance, calls,"
                          " errors, total_ms) VALUES('shop', ?, ?, '', '', 7, 1, 0.75)",
                      (NEEDLE, older))
        harness.query(db, "INSERT INTO hist(project, name, bucket, version, instance, hbucket,"
                          " calls) VALUES('shop', ?, ?, '', '', ?, 7)", (NEEDLE, older, B))
        hist = {A: 90, B: 17}
        p50, p95, p99 = (js_ms(percentile_ms(hist, p)) for p in (50, 95, 99))
        check((p50, p95, p99) == ("19.968 \u00b5s", "200.704 \u00b5s", "200.704 \u00b5s"),
              "expected percentiles %r" % ((p50, p95, p99),))

        browser.goto(srv.url("/"))
        browser.wait_for('document.querySelectorAll("#functions tbody tr").length > 0',
                         "the functions table")

        # No value weights: the headline is calls, not value; performance first.
        head = json.loads(browser.evaluate("""JSON.stringify({
            title: document.getElementById("nsm-title").textContent,
            kpis: [...document.querySelectorAll("#kpis .kpi")].map((k) =>
                    [k.dataset.kpi, k.querySelector("b").textContent, k.querySelector("span").textContent]),
            top: document.getElementById("top-what").textContent})"""))
        check(head["title"] == "Successful calls" and
              head["top"] == "successful calls (no value weights set)", "headline: %r" % head)
        calls = sum(function(i)["calls"] for i in range(N)) + 7
        errors = sum(function(i)["errors"] for i in range(N)) + 1
        check([k[0] for k in head["kpis"][:4]] == ["calls", "errors", "error_rate", "slowest_p95"],
              "performance figures first: %r" % head["kpis"])
        check(head["kpis"][0][1] == js_num(calls, 0) and head["kpis"][1][1] == js_num(errors, 0),
              "calls and errors: %r" % head["kpis"][:2])
        check(head["kpis"][3][1:] == [js_ms(bucket_mid_ms(SLOW)), "slowest p95: svc.f0002"],
              "the slowest p95: %r" % head["kpis"][3])

        # The search finds the needle among 5,000; its row shows the percentiles.
        set_search(browser, "needle")
        rows = json.loads(browser.evaluate(TABLE))
        check(len(rows) == 1 and rows[0][0] == NEEDLE, "search: %r" % rows)
        check(rows[0][2:9] == ["107", "6", "5.61%", js_ms(4.25 / 107), p50, p95, p99],
              "the needle's row: %r" % rows[0])

        # Sorting by p95: functions without histograms last, both ways.
        set_search(browser, "")
        sort_p95 = 'document.querySelector(\'#functions th[data-sort="p95_ms"]\').click()'
        browser.evaluate(sort_p95)
        rows = json.loads(browser.evaluate(TABLE))
        check([(r[0], r[7]) for r in rows[:4]] ==
              [("svc.f0002", js_ms(bucket_mid_ms(SLOW))), (NEEDLE, p95),
               ("svc.f0001", js_ms(bucket_mid_ms(FAST))), ("svc.f0000", "\u2013")],
              "p95, largest first: %r" % [(r[0], r[7]) for r in rows[:4]])
        browser.evaluate(sort_p95)
        rows = json.loads(browser.evaluate(TABLE))
        check([r[0] for r in rows[:4]] == ["svc.f0001", NEEDLE, "svc.f0002", "svc.f0000"] and
              rows[3][6:9] == ["\u2013"] * 3, "p95, smallest first: %r" % rows[:4])
        browser.evaluate('document.getElementById("functions-card").scrollIntoView()')
        screenshot(browser, "collector-dashboard-percentiles.png")

        # A click on the row (not on its link) opens the function's page.
        set_search(browser, "needle")
        browser.evaluate('document.querySelector("#functions tbody tr").children[2].click()')
        browser.wait_for('document.querySelectorAll("#fn-trend rect.fn-calls").length > 0',
                         "the function's page")
        p = page(browser)
        check(p["view"] == "function" and p["hash"] == "#/function/svc.needle" and
              p["pageShown"] and not p["listShown"], "the page, alone: %r" % p)
        check((p["name"], p["dept"], p["where"]) == (NEEDLE, "billing", "src/needle.c:42"),
              "name, department, file:line: %r" % p)
        # Self time: no callees, so all of its (timed) total.
        want = {"calls": "107", "errors": "6", "error_rate": "5.61%", "total_ms": "4.25 ms",
                "self_ms": "4.25 ms", "mean_ms": js_ms(4.25 / 107), "p50_ms": p50, "p95_ms": p95, "p99_ms": p99,
                "value_weight": "1", "contribution": "101"}
        check(p["kpis"] == want, "figures:\n got  %r\n want %r" % (p["kpis"], want))
        # Its errors were sent without root causes: one "not attributed" row.
        causes = json.loads(browser.evaluate(
            'JSON.stringify([...document.querySelectorAll("#fn-causes tbody tr")].map((r) =>'
            ' [...r.cells].map((c) => c.textContent)))'))
        check(causes == [["(not attributed)", "6", "100%"]], "root causes: %r" % causes)

        # The trend: one bar per step of the 24-hour window.  The window
        # starts at a whole minute, so the one fetched here may start a
        # minute after the page's: the bars are checked against the page's
        # own start, which must be the API's or a minute before it.
        api = srv.get_json("/api/function?name=" + NEEDLE)
        step = api["window"]["step_s"]
        check(step == 1500 and p["points"] == "58" and len(p["bars"]) == 58,
              "58 steps of 25 minutes: step %d, %r points, %d bars" % (
                  step, p["points"], len(p["bars"])))
        start = min(t for t, _ in p["bars"])
        check(0 <= api["window"]["from"] - start <= 60,
              "the page's window starts at %d, the API's at %d" % (start, api["window"]["from"]))
        bars = {t: c for t, c in p["bars"]}
        want_bars = {start + i * step: 0 for i in range(58)}
        for bucket, n in ((now_bucket, 100), (older, 7)):
            want_bars[start + (bucket - start) // step * step] += n
        check(bars == want_bars, "bars: %r" % {t: c for t, c in bars.items() if c})
        check(sorted(p["lat"]) == sorted([start + (b - start) // step * step, bucket_mid_ms(B)]
                                         for b in (now_bucket, older)),
              "p95 points: %r" % p["lat"])
        check(p["legend"].startswith("calls per 25 min (max 100)") and "p95 (max" in p["legend"],
              "legend: %r" % p["legend"])

        png = screenshot(browser, "collector-dashboard-function.png")

        # Back returns to the list, its search kept.
        go_back(browser)
        browser.wait_for('document.getElementById("main").dataset.view === "list"', "Back")
        p = page(browser)
        check(p["listShown"] and not p["pageShown"] and p["hash"] == "", "the list again: %r" % p)
        rows = json.loads(browser.evaluate(TABLE))
        check([r[0] for r in rows] == [NEEDLE] and
              browser.evaluate('document.getElementById("fn-search").value') == "needle",
              "search kept: %r" % rows)

        # Its link, then "all functions", which goes back too.
        browser.evaluate('document.querySelector("#functions tbody tr a").click()')
        browser.wait_for('document.getElementById("main").dataset.view === "function"', "link")
        browser.evaluate('document.getElementById("fn-back").click()')
        browser.wait_for('document.getElementById("main").dataset.view === "list"',
                         "all functions")
        h = browser.call("Page.getNavigationHistory", page=True)
        check(h["entries"][h["currentIndex"]]["url"] == srv.url("/"),
              "all functions went back: %r" % h["entries"][h["currentIndex"]])

        # An address of a function that is not there.
        browser.goto(srv.url("/#/function/" + urllib.parse.quote("svc.nope x", safe="")))
        browser.wait_for('document.getElementById("fn-kpis").textContent.includes("no function")',
                         "unknown function")
        p = page(browser)
        check(p["name"] == "svc.nope x" and
              p["kpiText"] == "no function named svc.nope x in project shop" and
              p["points"] is None, "unknown: %r" % p)
        check("GET /api/function 200" in srv.logtext() and
              "GET /api/function 404" in srv.logtext(), "the page used /api/function")
    print("screenshot:", png)


if __name__ == "__main__":
    harness.main(test)
