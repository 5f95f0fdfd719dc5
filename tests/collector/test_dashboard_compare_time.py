# SPDX-License-Identifier: Apache-2.0
"""test_dashboard_compare_time.py - the dashboard's comparison of this
window with the previous one, in Debian's headless Chromium over the
DevTools protocol (cdp.py): the data of test_window_compare.py (one batch
90 minutes back, one now) in the 1-hour window, set side by side function
by function in the version comparison's table - regressions first (the
function whose time per call doubled, then the one whose error rate grew),
exact calls, errors and times per call with their changes, a new function
and a gone one; the page opened with ?compare=time, the Compare choice
switching to versions and back, all time refused.  Keeps a screenshot
(collector-dashboard-compare-time.png) and checks that the table's
cut-out of it is not blank.  Skips (exit 77) without chromium."""
import json

import cdp
import harness
from harness import check
from test_dashboard_causes import not_blank
from test_dashboard_compare import TABLE
from test_dashboard_function_page import screenshot
from test_window_compare import ORDER, send_two_windows


def choose(browser, select_id, value):
    browser.evaluate('(() => { const s = document.getElementById(%s); s.value = %s;'
                     ' s.dispatchEvent(new Event("change")); })()'
                     % (json.dumps(select_id), json.dumps(value)))


def compare_text(browser):
    return browser.evaluate('document.getElementById("compare").textContent')


def test(tmp):
    harness.chromium_or_skip()
    db, key = harness.shop_database(tmp)
    with harness.Collector(db) as srv, cdp.Browser() as browser:
        send_two_windows(srv, db, key)
        browser.goto(srv.url("/?compare=time"))
        browser.wait_for('document.querySelector("#compare table") !== null', "the comparison")
        check(browser.evaluate('document.getElementById("compare-mode").value') == "time",
              "?compare=time opens the time comparison")
        # Over 24 hours both batches are in this window: none before it.
        t = json.loads(browser.evaluate(TABLE))
        check(t["a"] == "previous 24h" and t["b"] == "last 24h", "24h: %r" % t)
        check({r[0]: r[1] for r in t["rows"]} ==
              {"shop.slow": "0", "shop.flaky": "0", "shop.same": "0", "shop.faster": "0",
               "shop.gone": "0", "shop.new": "0"}, "nothing the 24h before: %r" % t["rows"])

        choose(browser, "since", "1h")
        browser.wait_for('document.querySelector("#compare table").getAttribute("data-a")'
                         ' === "previous 1h"', "the 1-hour comparison")
        t = json.loads(browser.evaluate(TABLE))
        check([r[0] for r in t["rows"]] == ORDER, "regressions first: %r" % t["rows"])
        rows = {r[0]: r[1:] for r in t["rows"]}
        # Calls before, now, change; errors before, now, change; time per
        # call before, now, change.
        check(rows["shop.slow"] == ["100", "100", "0", "0", "0", "0", "1 ms", "2 ms", "+1 (+100%)"],
              "shop.slow: %r" % rows["shop.slow"])
        check(rows["shop.flaky"] == ["100", "100", "0", "2", "3", "+1 (+50%)", "1 ms", "1 ms", "0"],
              "shop.flaky: %r" % rows["shop.flaky"])
        check(rows["shop.faster"][6:] == ["2 ms", "1 ms", "−1 (−50%)"], "shop.faster: %r" % rows)
        check(rows["shop.new"][:3] == ["0", "5", "+5"] and rows["shop.new"][-1] == "–",
              "shop.new: %r" % rows["shop.new"])
        check(rows["shop.gone"][:3] == ["7", "0", "−7 (−100%)"], "shop.gone: %r" % rows["shop.gone"])
        head = json.loads(browser.evaluate(
            'JSON.stringify([...document.querySelectorAll("#compare thead th")].map((c) => c.textContent))'))
        check(head[1:3] == ["Calls before", "Calls now"] and head[7:9] ==
              ["Time/call before", "Time/call now"], "header: %r" % head)
        classes = json.loads(browser.evaluate(
            'JSON.stringify([...document.querySelectorAll("#compare tr[data-name=\\"shop.slow\\"] td")]'
            '.map((c) => c.className))'))
        check(classes[9].endswith("down"), "more time per call is worse: %r" % classes)
        browser.evaluate('document.getElementById("compare-card").scrollIntoView()')
        png = screenshot(browser, "collector-dashboard-compare-time.png")
        not_blank(browser, "#compare table", "the time comparison")

        # Versions: this project has one, so there is nothing to compare.
        choose(browser, "compare-mode", "versions")
        browser.wait_for('document.getElementById("compare").textContent.includes("one version so far")',
                         "the versions message")
        check(browser.evaluate('document.querySelector(".compare-versions").hidden') is False,
              "the A and B choices shown for versions")
        choose(browser, "compare-mode", "time")
        browser.wait_for('document.querySelector("#compare table") !== null', "time again")
        check(browser.evaluate('document.querySelector(".compare-versions").hidden') is True,
              "no A and B choices for time")
        choose(browser, "since", "all")
        browser.wait_for('document.getElementById("compare").textContent.includes("no window before")',
                         "all time refused")
        check(compare_text(browser).startswith("all time has no window before it"),
              compare_text(browser))
    print("screenshot:", png)


if __name__ == "__main__":
    harness.main(test)
