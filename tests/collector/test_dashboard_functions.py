# SPDX-License-Identifier: Apache-2.0
"""test_dashboard_functions.py - the dashboard's functions table for
thousands of functions, in Debian's headless Chromium over the DevTools
protocol (cdp.py): 5,000 functions delivered over real HTTP, 50 a page;
the search finds the one function named so among them; a click on a
column's head sorts by it (again: the other way); the department choice
filters; times show in ns, µs or ms as fits, and a function called
without any time (counted, not timed) shows "not timed", not 0.  Skips (exit 77) when chromium
is not installed, like test_dashboard.py."""
import json

import cdp
import harness
from harness import check

N = 5000
DEPARTMENTS = ["api", "billing", "search", "storage", "web"]

# The table's rows as [[cell text, ...], ...], its count and page lines.
TABLE = """JSON.stringify((() => {
  const t = document.querySelector("#functions table");
  return {rows: t ? [...t.querySelectorAll("tbody tr")].map((r) =>
                      [...r.children].map((c) => c.textContent)) : [],
          count: document.getElementById("fn-count").textContent,
          page: document.getElementById("fn-page").textContent};
})())"""


def function(i):
    """Function i: calls i + 1, its time per call i microseconds."""
    name = "svc.needle" if i == 4321 else "svc.f%04d" % i
    return {"name": name, "department": DEPARTMENTS[i % 5], "value_weight": 1,
            "calls": i + 1, "errors": i % 3, "total_ms": (i + 1) * i / 1000.0}


def table(browser):
    return json.loads(browser.evaluate(TABLE))


def set_search(browser, text):
    browser.evaluate('(() => { const s = document.getElementById("fn-search");'
                     ' s.value = %s; s.dispatchEvent(new Event("input")); })()'
                     % json.dumps(text))


def test(tmp):
    harness.chromium_or_skip()
    db, key = harness.shop_database(tmp)
    with harness.Collector(db) as srv, cdp.Browser() as browser:
        harness.ingest_all(srv, key, [function(i) for i in range(N)])

        browser.goto(srv.url("/"))
        browser.wait_for('document.querySelectorAll("#functions tbody tr").length > 0',
                         "the functions table")
        t = table(browser)
        check(len(t["rows"]) == 50, "a page of 50: %d rows" % len(t["rows"]))
        check(t["count"] == "5,000 functions" and t["page"] == "page 1 of 100",
              "count and pages: %r %r" % (t["count"], t["page"]))

        # The search: one function among 5,000.
        set_search(browser, "needle")
        t = table(browser)
        check([r[0] for r in t["rows"]] == ["svc.needle"], "search: %r" % t["rows"])
        check(t["count"] == "1 of 5,000" and t["page"] == "page 1 of 1", "search: %r" % t)
        needle = t["rows"][0]
        check(needle[1] == DEPARTMENTS[4321 % 5] and needle[2] == "4,322" and
              needle[5] == "4.321 ms", "the needle's row: %r" % needle)
        set_search(browser, "")

        # Sort by calls: most first; a second click, fewest first.
        browser.evaluate('document.querySelector(\'#functions th[data-sort="calls"]\').click()')
        t = table(browser)
        check(t["rows"][0][0] == "svc.f4999" and t["rows"][0][2] == "5,000",
              "most calls first: %r" % t["rows"][0])
        browser.evaluate('document.querySelector(\'#functions th[data-sort="calls"]\').click()')
        t = table(browser)
        check(t["rows"][0][0] == "svc.f0000" and t["rows"][1][0] == "svc.f0001",
              "fewest calls first: %r" % t["rows"][:2])
        # Their times per call: none (called, no time: not timed, not 0)
        # and 1 microsecond.
        check(t["rows"][0][5] == "not timed" and t["rows"][0][9] == "not timed",
              "called without time: %r" % t["rows"][0])
        check(t["rows"][1][5] == "1 µs", "time per call in µs: %r" % t["rows"][1])

        # The department choice filters, and pages follow.
        browser.evaluate('(() => { const d = document.getElementById("fn-dept");'
                         ' d.value = "search"; d.dispatchEvent(new Event("change")); })()')
        t = table(browser)
        check(t["count"] == "1,000 of 5,000" and t["page"] == "page 1 of 20",
              "department filter: %r %r" % (t["count"], t["page"]))
        check(all(r[1] == "search" for r in t["rows"]), "only search: %r" % t["rows"][:3])
        browser.evaluate('document.getElementById("fn-next").click()')
        t = table(browser)
        check(t["page"] == "page 2 of 20", "next page: %r" % t["page"])
        check("GET /api/report" in srv.logtext(), "the page used /api/report")


if __name__ == "__main__":
    harness.main(test)
