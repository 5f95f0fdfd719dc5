# SPDX-License-Identifier: Apache-2.0
"""test_dashboard_compare.py - the dashboard's version comparison in
Debian's headless Chromium over the DevTools protocol (cdp.py): batches
sent under versions 1.2 and 1.3 (X-CodeNSM-Version) are set side by side
function by function, with the calls, errors and time per call of each
version and the change; the Version choice filters the other panels.
Skips (exit 77) when chromium is not installed, like test_dashboard.py."""
import json

import cdp
import harness
from harness import check

# (name, version, calls, errors, total_ms)
SENT = [("shop.pay", "1.2", 100, 10, 500.0), ("shop.pay", "1.3", 200, 4, 400.0),
        ("shop.list", "1.2", 50, 0, 50.0), ("shop.new", "1.3", 30, 3, 90.0),
        ("shop.pay", "", 999, 0, 1.0),
        # Times per call below a millisecond show in their own unit.
        ("shop.fast", "1.3", 1000, 0, 0.5), ("shop.mid", "1.3", 10, 0, 0.125)]
WEIGHT = 2

# The comparison table as [[cell text, ...], ...], with its versions.
TABLE = """JSON.stringify((() => {
  const t = document.querySelector("#compare table");
  if (!t) return null;
  return {a: t.getAttribute("data-a"), b: t.getAttribute("data-b"),
          rows: [...t.querySelectorAll("tbody tr")].map((r) =>
            [...r.children].map((c) => c.textContent))};
})())"""

# fetch, wrapped: a comparison's read (a report of one version) started
# while window.codensmHold is set answers HELD_MS late; codensmHeld counts
# them, codensmHeldAnswered their answers (given to the page first, so
# that its drawing has run by then).
HELD_MS = 1500
HOLD_READS = """(() => {
  const fetchNow = window.fetch.bind(window);
  window.codensmHeld = 0; window.codensmHeldAnswered = 0;
  window.fetch = (url, ...rest) => {
    if (!window.codensmHold || !String(url).includes("version=")) return fetchNow(url, ...rest);
    window.codensmHeld++;
    return new Promise((resolve) => setTimeout(resolve, %d)).then(() => fetchNow(url, ...rest))
      .finally(() => setTimeout(() => window.codensmHeldAnswered++, 300));
  };
})()""" % HELD_MS


def test(tmp):
    harness.chromium_or_skip()
    db, key = harness.shop_database(tmp)
    with harness.Collector(db) as srv, cdp.Browser() as browser:
        for name, version, calls, errors, total_ms in SENT:
            status, reply = srv.ingest(
                {"functions": [{"name": name, "department": "engine", "value_weight": WEIGHT,
                                "calls": calls, "errors": errors, "total_ms": total_ms}]},
                key, extra_headers={"X-CodeNSM-Version": version} if version else {})
            check(status == 200, "ingest %d %r" % (status, reply))

        browser.goto(srv.url("/?a=1.2&b=1.3"))
        browser.wait_for('document.querySelector("#compare table") !== null', "the comparison")
        t = json.loads(browser.evaluate(TABLE))
        check(t["a"] == "1.2" and t["b"] == "1.3", "versions compared: %r" % t)
        rows = {r[0]: r[1:] for r in t["rows"]}
        check(sorted(rows) == ["shop.fast", "shop.list", "shop.mid", "shop.new", "shop.pay"],
              "functions: %r" % rows)
        check(rows["shop.fast"][7] == "500 ns" and rows["shop.mid"][7] == "12.5 µs",
              "times per call in ns and µs: %r %r" % (rows["shop.fast"], rows["shop.mid"]))
        # Calls A, B, change; errors A, B, change; time per call A, B, change.
        check(rows["shop.pay"] == ["100", "200", "+100 (+100%)", "10", "4", "−6 (−60%)",
                                   "5 ms", "2 ms", "−3 (−60%)"], "shop.pay: %r" % rows["shop.pay"])
        check(rows["shop.new"][:3] == ["0", "30", "+30"] and rows["shop.new"][-1] == "–",
              "shop.new, only in B: %r" % rows["shop.new"])
        check(rows["shop.list"][:3] == ["50", "0", "−50 (−100%)"], "shop.list: %r" % rows["shop.list"])
        classes = json.loads(browser.evaluate(
            'JSON.stringify([...document.querySelectorAll("#compare tr[data-name=\\"shop.pay\\"] td")]'
            '.map((c) => c.className))'))
        check(classes[3].endswith("up") and classes[6].endswith("up") and classes[9].endswith("up"),
              "more calls, fewer errors, less time are better: %r" % classes)

        # Swapping the two versions redraws the comparison the other way,
        # even when the first choice's reads (1.3 against 1.3) answer after
        # the second's: the page holds them back HELD_MS, as a loaded
        # collector may (a fresh clone's test run once drew them last).
        browser.evaluate(HOLD_READS)
        browser.evaluate('(() => { window.codensmHold = true;'
                         ' const a = document.getElementById("compare-a");'
                         ' a.value = "1.3"; a.dispatchEvent(new Event("change")); })()')
        browser.wait_for("window.codensmHeld === 2", "the first choice's two reads, held")
        browser.evaluate('(() => { window.codensmHold = false;'
                         ' const b = document.getElementById("compare-b");'
                         ' b.value = "1.2"; b.dispatchEvent(new Event("change")); })()')
        browser.wait_for('document.querySelector("#compare table").getAttribute("data-a") === "1.3"'
                         ' && document.querySelector("#compare table").getAttribute("data-b") === "1.2"',
                         "the swapped comparison")
        browser.wait_for("window.codensmHeldAnswered === window.codensmHeld && window.codensmHeld > 0",
                         "the held reads' answers")
        t = json.loads(browser.evaluate(TABLE))
        rows = {r[0]: r[1:] for r in t["rows"]}
        check((t["a"], t["b"]) == ("1.3", "1.2"), "versions after the held answers: %r" % t)
        check(rows["shop.pay"][:3] == ["200", "100", "−100 (−50%)"], "swapped: %r" % rows)
        # Regressions first: against 1.3, 1.2 takes 2.5 times as long per
        # call and fails 10% of calls instead of 2%.
        check(t["rows"][0][0] == "shop.pay", "regressions first: %r" % t["rows"])

        # The Version choice filters the other panels: NSM of 1.2 alone.
        nsm_12 = WEIGHT * sum(c - e for _, v, c, e, _ in SENT if v == "1.2")
        options = json.loads(browser.evaluate(
            'JSON.stringify([...document.getElementById("version").options].map((o) => o.value))'))
        check(options == ["*", "", "1.2", "1.3"], "version choices: %r" % options)
        browser.evaluate('(() => { const v = document.getElementById("version");'
                         ' v.value = "1.2"; v.dispatchEvent(new Event("change")); })()')
        browser.wait_for('document.getElementById("nsm-value").getAttribute("data-value") === "%d"'
                         % nsm_12, "the NSM of version 1.2 (%d)" % nsm_12)
        check("GET /api/report" in srv.logtext(), "the page used /api/report")


if __name__ == "__main__":
    harness.main(test)
