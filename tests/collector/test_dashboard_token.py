# SPDX-License-Identifier: Apache-2.0
"""test_dashboard_token.py - the dashboard of a collector started with
read tokens, in Debian's headless Chromium driven over the DevTools
protocol (cdp.py), typing as a user would: the page asks for a token
when /api/ refuses it, shows no figures before; a wrong token is refused
and asked for again; the right one shows the figures and is kept in the
browser, so a reload does not ask again; when the collector no longer
accepts it (restarted with another token), the page asks again and the
new token works.  No token reaches the collector's log.  Skips (exit 77)
when chromium is not installed, like test_dashboard.py."""
import json

import cdp
import harness
from harness import check

OLD = "first-read-token-0123456789"
NEW = "second-read-token-abcdefghij"
WRONG = "not-a-read-token-000000000"
FUNCS = [("checkout.apply_coupon", "engine", 9, 1240, 3, 47000),
         ("search.query", "discovery", 3, 2000, 100, 10000)]
NSM = sum(w * (c - e) for _, _, w, c, e, _ in FUNCS)

# What the page shows, read in one go.
STATE = """JSON.stringify({
  asking: !document.getElementById("token-form").hidden,
  why: document.getElementById("token-why").textContent,
  status: document.getElementById("status").textContent,
  nsm: document.getElementById("nsm-value").getAttribute("data-value"),
  kept: localStorage.getItem("codensm.readToken")})"""


def state(browser):
    return json.loads(browser.evaluate(STATE))


def wait_asking(browser, refused):
    want = "read token refused" if refused else "read token needed"
    browser.wait_for('!document.getElementById("token-form").hidden && '
                     'document.getElementById("status").textContent === "%s"' % want,
                     "the page asks for a token (%s)" % want)
    s = state(browser)
    check(s["nsm"] == "", "figures shown without a token: %r" % s)
    return s


def enter_token(browser, token):
    check(browser.evaluate('document.activeElement === document.getElementById("token-input")'),
          "the token field has the focus")
    browser.type_text(token)
    browser.press_enter()


def wait_figures(browser):
    # The status says "updated" once the whole refresh is done, which
    # (the comparison's report of the window before) may be a little
    # after the figures are drawn.
    browser.wait_for('document.getElementById("nsm-value").getAttribute("data-value") === "%d"'
                     ' && document.getElementById("status").textContent.startsWith("updated")'
                     % NSM, "the figures (NSM %d) and the status" % NSM)
    s = state(browser)
    check(not s["asking"] and s["status"].startswith("updated"), "after the token: %r" % s)
    return s


def test(tmp):
    harness.chromium_or_skip()

    db, key = harness.shop_database(tmp)
    first = harness.Collector(db, ["--read-token", OLD])
    with first as srv, cdp.Browser() as browser:
        status, _ = srv.ingest({"functions": [
            {"name": n, "department": d, "value_weight": w, "calls": c, "errors": e,
             "total_ms": t} for n, d, w, c, e, t in FUNCS]}, key)
        check(status == 200, "ingest %d" % status)

        browser.goto(srv.url("/"))
        s = wait_asking(browser, refused=False)
        check(s["kept"] is None, "a token kept before one was entered: %r" % s)
        check("GET /api/projects 401" in srv.logtext(), "the page did not try the API first")

        enter_token(browser, WRONG)
        s = wait_asking(browser, refused=True)
        check(s["kept"] is None, "a refused token is kept: %r" % s)

        enter_token(browser, OLD)
        s = wait_figures(browser)
        check(s["kept"] == OLD, "the token is not kept in localStorage: %r" % s)

        # A reload asks nothing: the kept token is sent at once.  (The page
        # itself comes with a 401, as a browser cannot send a bearer token
        # when it opens a URL; its body is the page.)
        refusals = lambda: sum(1 for l in srv.logtext().splitlines()
                               if l.startswith("GET /api/") and " 401 " in l)
        before = refusals()
        browser.evaluate("window.cnsmOldDocument = true")
        browser.reload()
        browser.wait_for("!window.cnsmOldDocument", "the reload", timeout=10)
        wait_figures(browser)
        check(refusals() == before, "the reload was refused:\n" + srv.logtext())
        log = srv.logtext()

        # The collector restarts on the same port with another token: the
        # kept one is refused at the next refresh (every 5 s), forgotten,
        # and the page asks again.
        port = srv.port
        check(srv.stop() == 0, "collector exit status")
        with harness.Collector(db, ["--listen", "127.0.0.1:%d" % port,
                                    "--read-token", NEW]) as again:
            check(again.port == port, "restarted on port %d, wanted %d" % (again.port, port))
            s = wait_asking(browser, refused=True)
            check(s["kept"] is None, "the refused token is still kept: %r" % s)
            enter_token(browser, NEW)
            s = wait_figures(browser)
            check(s["kept"] == NEW, "the new token is not kept: %r" % s)
            log += again.logtext()
    for token in (OLD, NEW, WRONG):
        check(token not in log, "a token is in the collector's log:\n" + log)


if __name__ == "__main__":
    harness.main(test)
