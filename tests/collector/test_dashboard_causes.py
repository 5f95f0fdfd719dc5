# SPDX-License-Identifier: Apache-2.0
"""test_dashboard_causes.py - a function's callers, callees, root causes,
self time and probe, and the flame graph, in Debian's headless Chromium
over the DevTools protocol (cdp.py), against the real collector over real
HTTP with a real database.

Project "shop" gets a three-level chain with the extensions "callers" and
"root_causes" (docs/ingest-contract.md):
  api_checkout (root) -> charge -> db_write -> crc32, and
  nightly_report (root) -> db_write, which also calls itself;
api_checkout's 5 errors are 3 from db_write (through charge) and 2 from
charge.  Expected figures are computed here: self time as gprof shares a
callee's time, total(G) x edge(F -> G) / max(1, calls(G) - edge(G -> G)),
percentiles from the histogram's buckets, every time in the unit the page
uses (ns, us, ms).
- api_checkout's page: file:line, calls, errors, inclusive and self time,
  p50/p95/p99, no callers, the callee charge, root causes db_write 3
  (60%) and charge 2 (40%); its screenshot is a PNG whose cut-outs of
  the figures and of the three tables are not blank;
- a click on the callee opens charge's page (caller api_checkout, callee
  db_write, its own errors marked "itself"); crc32's mean is in ns;
- "Time every call for 10 min" starts a probe that GET /api/probes lists
  and the page shows with its time left; Cancel ends it in both; with
  read tokens, the page's POST carries its token;
- #/flame draws a box per path (db_write twice, never under itself, and
  crc32 under each), widths in the proportion of the shares; a mouse
  click on a box opens that function's page; a function page's "see it
  in the flame graph" outlines that function's boxes;
- project "big": 5,000 functions (a binary tree and a chain of 100) draw
  in under 2 s, no deeper than 32 rows, no box narrower than one unit.
Screenshots kept in build/tests/collector/ (collector-dashboard-causes.png,
collector-dashboard-flame.png).  Skips (exit 77) without chromium."""
import base64
import json
import os
import re
import struct
import time
import zlib

import cdp
import harness
from harness import check
from test_dashboard_function_page import js_ms, js_num, go_back, screenshot
from test_extensions import bucket_of, percentile_ms

ARTEFACT_DIR = os.environ.get("CNSM_ARTEFACT_DIR", os.getcwd())
FLAME_W = 1200  # the page's width of the flame graph, in its units

HIST = {bucket_of(4000): 90, bucket_of(20000): 10}
CHAIN = [
    {"name": "api_checkout", "calls": 100, "errors": 5, "total_ms": 0.5,
     "file": "src/checkout.c", "line": 42, "callers": [],
     "root_causes": [{"name": "db_write", "errors": 3}, {"name": "charge", "errors": 2}]},
    {"name": "charge", "calls": 80, "errors": 5, "total_ms": 0.32, "file": "src/pay.c", "line": 7,
     "callers": [{"name": "api_checkout", "calls": 80}],
     "root_causes": [{"name": "db_write", "errors": 3}, {"name": "charge", "errors": 2}]},
    {"name": "db_write", "calls": 150, "errors": 3, "total_ms": 0.24,
     "callers": [{"name": "charge", "calls": 60}, {"name": "nightly_report", "calls": 60},
                 {"name": "db_write", "calls": 30}],
     "root_causes": [{"name": "db_write", "errors": 3}]},
    {"name": "crc32", "calls": 150, "errors": 0, "total_ms": 0.09,
     "callers": [{"name": "db_write", "calls": 150}]},
    {"name": "nightly_report", "calls": 1, "errors": 0, "total_ms": 0.2, "callers": []},
]
BY = {f["name"]: f for f in CHAIN}


def calls_from(f, caller):
    return sum(c["calls"] for c in f.get("callers", []) if c["name"] == caller)


def share(caller, callee):
    """The part of callee's time that caller's calls take (ms)."""
    g = BY[callee]
    return g["total_ms"] * calls_from(g, caller) / max(1, g["calls"] - calls_from(g, callee))


def self_ms(name):
    return BY[name]["total_ms"] - sum(share(name, g) for g in BY if g != name and calls_from(BY[g], name))


def element(f):
    e = {"department": "shop", "value_weight": 1, "hist": [[b, max(1, n * f["calls"] // 100)]
                                                          for b, n in HIST.items()]}
    e.update(f)
    return e


PAGE = """JSON.stringify((() => {
  const kpis = {};
  for (const k of document.querySelectorAll("#fn-kpis .kpi"))
    kpis[k.dataset.kpi] = k.querySelector("b").textContent;
  const table = (id) => { const t = document.querySelector("#" + id + " table");
    return t ? [...t.tBodies[0].rows].map((r) => [...r.cells].map((c) => c.textContent))
             : document.getElementById(id).textContent; };
  const probe = document.getElementById("fn-probe");
  return {view: document.getElementById("main").dataset.view, hash: location.hash,
          name: document.getElementById("fn-name").textContent,
          where: document.getElementById("fn-where").textContent, kpis,
          callers: table("fn-callers"), callees: table("fn-callees"), causes: table("fn-causes"),
          probeShown: !probe.hidden, probeActive: probe.dataset.active,
          probeLeft: Number(probe.dataset.secondsLeft),
          probeText: document.getElementById("fn-probe-state").textContent,
          startShown: !document.getElementById("fn-probe-start").hidden,
          cancelShown: !document.getElementById("fn-probe-cancel").hidden};
})())"""

BOXES = """JSON.stringify([...document.querySelectorAll("#flame g.flame-box")].map((g) => {
  const r = g.querySelector("rect");
  return {name: g.dataset.name, depth: Number(g.dataset.depth), ms: Number(g.dataset.ms),
          x: Number(r.getAttribute("x")), w: Number(r.getAttribute("width")),
          title: g.querySelector("title").textContent};
}))"""


def page(browser):
    return json.loads(browser.evaluate(PAGE))


def png_pixels(data):
    """Decodes an 8-bit RGB(A) non-interlaced PNG: (width, height, rows)."""
    check(data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG")
    pos, idat, w = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            check(depth == 8 and colour in (2, 6) and interlace == 0, "PNG format %r" % (body,))
            bpp = 4 if colour == 6 else 3
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, stride, rows, prev = zlib.decompress(idat), w * bpp, [], bytearray(w * bpp)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[x * bpp:x * bpp + 3]) for x in range(w)])
        prev = line
    return w, h, rows


def not_blank(browser, selector, what):
    """Captures the element's box and checks that it holds drawn ink: more
    than 1% of its pixels differ from its most common colour (the
    background), in more than 4 colours."""
    box = json.loads(browser.evaluate(
        'JSON.stringify((() => { const r = document.querySelector(%s).getBoundingClientRect();'
        ' return {x: r.x + scrollX, y: r.y + scrollY, width: r.width, height: r.height}; })())'
        % json.dumps(selector)))
    check(box["width"] > 20 and box["height"] > 10, "%s has no size: %r" % (what, box))
    shot = base64.b64decode(browser.call("Page.captureScreenshot", {
        "format": "png", "clip": dict(box, scale=1), "captureBeyondViewport": True}, page=True)["data"])
    w, h, rows = png_pixels(shot)
    counts = {}
    for row in rows:
        for px in row:
            counts[px] = counts.get(px, 0) + 1
    ink = w * h - max(counts.values())
    check(ink > 0.01 * w * h and len(counts) > 4,
          "%s looks blank: %d of %d pixels drawn, %d colours" % (what, ink, w * h, len(counts)))


def probes(srv):
    return {p["function"]: p for p in srv.get_json("/api/probes?project=shop")["probes"]}


def check_function_page(browser):
    """api_checkout's page: figures, tables and their pixels."""
    browser.wait_for('!!document.querySelector("#fn-causes table")', "api_checkout's root causes")
    p = page(browser)
    f = BY["api_checkout"]
    hist = {b: n for b, n in HIST.items()}
    want = {"calls": "100", "errors": "5", "error_rate": "5%", "total_ms": js_ms(0.5),
            "self_ms": js_ms(self_ms("api_checkout")), "mean_ms": js_ms(0.5 / 100),
            "p50_ms": js_ms(percentile_ms(hist, 50)), "p95_ms": js_ms(percentile_ms(hist, 95)),
            "p99_ms": js_ms(percentile_ms(hist, 99)), "value_weight": "1", "contribution": "95"}
    check(want["self_ms"] == "180 \u00b5s" and want["total_ms"] == "500 \u00b5s" and
          want["mean_ms"] == "5 \u00b5s", "expected times: %r" % want)
    check(p["kpis"] == want, "figures:\n got  %r\n want %r" % (p["kpis"], want))
    check((p["name"], p["where"]) == ("api_checkout", "src/checkout.c:%d" % f["line"]),
          "name and source: %r" % p)
    check(isinstance(p["callers"], str) and "no instrumented caller" in p["callers"],
          "a root has no callers: %r" % p["callers"])
    check(p["callees"] == [["charge", "80", "80%"]], "callees: %r" % p["callees"])
    check(p["causes"] == [["db_write", "3", "60%"], ["charge", "2", "40%"]],
          "root causes: %r" % p["causes"])
    for sel, what in (("#fn-kpis", "the figures"), ("#fn-callees table", "the callees"),
                      ("#fn-causes table", "the root causes")):
        not_blank(browser, sel, what)
    return screenshot(browser, "collector-dashboard-causes.png")


def check_probe(browser, srv):
    check("api_checkout" not in probes(srv), "no probe yet")
    p = page(browser)
    check(p["probeShown"] and p["startShown"] and not p["cancelShown"] and p["probeActive"] == "0",
          "the probe button: %r" % p)
    browser.evaluate('document.getElementById("fn-probe-start").click()')
    browser.wait_for('document.getElementById("fn-probe").dataset.active === "1"', "the probe")
    listed = probes(srv)
    check("api_checkout" in listed and 590 <= listed["api_checkout"]["seconds_left"] <= 600,
          "GET /api/probes: %r" % listed)
    p = page(browser)
    check(590 <= p["probeLeft"] <= 600 and
          re.match(r"Every call timed: (9 min \d{1,2}|10 min 0) s left \(until \d\d:\d\d:\d\d\)$",
                   p["probeText"]) and
          p["cancelShown"] and not p["startShown"], "the page shows the probe: %r" % p)
    # After a reload, the page reads it back from /api/probes.
    browser.reload()
    browser.wait_for('document.getElementById("fn-probe").dataset.active === "1"',
                     "the probe after a reload")
    browser.evaluate('document.getElementById("fn-probe-cancel").click()')
    browser.wait_for('document.getElementById("fn-probe").dataset.active === "0"', "Cancel")
    check("api_checkout" not in probes(srv), "cancelled: %r" % probes(srv))
    check("POST /api/probe 200" in srv.logtext(), "the page used POST /api/probe")


def check_navigation(browser):
    """The callee's link opens charge's page; its own errors say itself."""
    browser.evaluate('document.querySelector("#fn-callees a").click()')
    browser.wait_for('document.getElementById("fn-name").textContent === "charge" &&'
                     ' !!document.querySelector("#fn-causes table")', "charge's page")
    p = page(browser)
    check(p["hash"] == "#/function/charge", "address: %r" % p["hash"])
    check(p["callers"] == [["api_checkout", "80", "100%"]] and
          p["callees"] == [["db_write", "60", "75%"]] and
          p["causes"] == [["db_write", "3", "60%"], ["chargeitself", "2", "40%"]],
          "charge: %r" % p)
    check(p["kpis"]["self_ms"] == js_ms(self_ms("charge")) == "200 \u00b5s",
          "charge's self time: %r" % p["kpis"])
    browser.goto(browser.evaluate("location.href.split('#')[0]") + "#/function/crc32")
    browser.wait_for('document.getElementById("fn-name").textContent === "crc32" &&'
                     ' !!document.querySelector("#fn-callers table")', "crc32's page")
    p = page(browser)
    check(p["kpis"]["mean_ms"] == "600 ns" and p["kpis"]["self_ms"] == "90 \u00b5s" and
          p["callers"] == [["db_write", "150", "100%"]] and "calls no instrumented" in p["callees"],
          "crc32: %r" % p)


def check_self_column(browser, srv):
    """The functions table has a self time column; a click on its head
    sorts by it, most first."""
    browser.goto(srv.url("/?project=shop"))
    browser.wait_for('!!document.querySelector(\'#functions th[data-sort="self_ms"]\')',
                     "the self time column")
    browser.evaluate('document.querySelector(\'#functions th[data-sort="self_ms"]\').click()')
    names = json.loads(browser.evaluate(
        'JSON.stringify([...document.querySelectorAll("#functions tr.fn-row")]'
        '.map((r) => r.getAttribute("data-name")))'))
    want = sorted(BY, key=lambda n: -self_ms(n))
    check(names[:len(want)] == want, "by self time: %r, expected %r" % (names, want))


def expected_boxes():
    """{(path): ms} of the flame graph, from the formula."""
    want = {}

    def walk(path, ms):
        want[path] = ms
        f = path[-1]
        for g in BY:
            if g not in path and calls_from(BY[g], f):
                walk(path + (g,), ms / BY[f]["total_ms"] * share(f, g))
    for root in ("api_checkout", "nightly_report"):
        walk((root,), BY[root]["total_ms"])
    return want


def check_flame(browser, srv):
    # From the list, by the link beside the functions table.
    browser.goto(srv.url("/?project=shop"))
    browser.wait_for('document.querySelectorAll("#functions tbody tr").length === 5', "the list")
    browser.evaluate('document.getElementById("flame-link").click()')
    browser.wait_for('document.querySelectorAll("#flame g.flame-box").length > 0 &&'
                     ' getComputedStyle(document.getElementById("functions-card")).display === "none"',
                     "the flame graph, alone")
    boxes = json.loads(browser.evaluate(BOXES))
    want = expected_boxes()
    check(len(boxes) == len(want) == 7, "boxes: %r" % boxes)
    # Each box's path: the boxes one row up whose span holds it.
    total = sum(BY[r]["total_ms"] for r in ("api_checkout", "nightly_report"))
    got = {}
    for b in boxes:
        path, cur = [b["name"]], b
        while cur["depth"] > 0:
            cur = next(a for a in boxes if a["depth"] == cur["depth"] - 1 and
                       a["x"] - 0.01 <= cur["x"] and cur["x"] + cur["w"] <= a["x"] + a["w"] + 0.01)
            path.insert(0, cur["name"])
        got[tuple(path)] = b
    check(set(got) == set(want), "paths:\n got  %r\n want %r" % (sorted(got), sorted(want)))
    for path, ms in want.items():
        b = got[path]
        check(abs(b["ms"] - ms) < 1e-9 and abs(b["w"] - FLAME_W * ms / total) < 0.01,
              "%s: %r, want %r ms, width %.2f" % ("/".join(path), b, ms, FLAME_W * ms / total))
    c = got[("api_checkout",)]
    check(abs(got[("api_checkout", "charge")]["w"] / c["w"] - 0.32 / 0.5) < 1e-3 and
          abs(got[("api_checkout", "charge", "db_write")]["w"] / c["w"] - 0.12 / 0.5) < 1e-3,
          "widths in proportion: %r" % boxes)
    check(got[("api_checkout", "charge", "db_write", "crc32")]["title"] ==
          "crc32\n45 \u00b5s (%s%% of the sampled time)" % js_num(100 * 0.045 / 0.7, 2),
          "a box's title: %r" % got[("api_checkout", "charge", "db_write", "crc32")]["title"])
    not_blank(browser, "#flame svg", "the flame graph")
    png = screenshot(browser, "collector-dashboard-flame.png")
    # A mouse click in the middle of db_write under charge opens its page.
    pos = json.loads(browser.evaluate(
        """JSON.stringify((() => { const r = [...document.querySelectorAll("#flame g.flame-box")]
             .find((g) => g.dataset.name === "db_write" && g.dataset.depth === "2")
             .querySelector("rect").getBoundingClientRect();
           return [r.x + r.width / 2, r.y + r.height / 2]; })())"""))
    for kind in ("mousePressed", "mouseReleased"):
        browser.call("Input.dispatchMouseEvent", {"type": kind, "x": pos[0], "y": pos[1],
                                                  "button": "left", "clickCount": 1}, page=True)
    browser.wait_for('location.hash === "#/function/db_write" &&'
                     ' !!document.querySelector("#fn-causes table")', "db_write's page from the flame")
    p = page(browser)
    check(p["view"] == "function" and p["callers"] == [["charge", "60", "40%"],
                                                       ["nightly_report", "60", "40%"],
                                                       ["db_writeitself", "30", "20%"]],
          "db_write's page: %r" % p)
    go_back(browser)
    browser.wait_for('document.getElementById("main").dataset.view === "flame"', "Back to the flame")
    check(browser.evaluate('document.querySelectorAll("#flame g.mark").length') == 0, "none marked")
    # A function page's "see it in the flame graph" outlines its boxes.
    browser.goto(srv.url("/?project=shop#/function/db_write"))
    browser.wait_for('!!document.querySelector("#fn-causes table")', "db_write's page")
    browser.evaluate('document.getElementById("fn-to-flame").click()')
    # (the graph drawn before is still there, hidden, until the redraw)
    browser.wait_for('document.getElementById("main").dataset.view === "flame" &&'
                     ' document.querySelectorAll("#flame g.mark").length > 0', "the flame, marked")
    marked = json.loads(browser.evaluate('JSON.stringify([...document.querySelectorAll("#flame g.mark")]'
                                         '.map((g) => g.dataset.name + "@" + g.dataset.depth))'))
    check(sorted(marked) == ["db_write@1", "db_write@2"], "marked boxes: %r" % marked)
    return png


def big_project():
    """5,000 functions: a chain of 100 (each a little narrower) and a
    binary tree of 4,900 whose times are their subtrees' sizes."""
    fns = []
    for i in range(100):
        fns.append({"name": "chain.c%03d" % i, "department": "big", "value_weight": 1,
                    "calls": 10, "errors": 0, "total_ms": 100.0 - 0.5 * i,
                    "callers": [{"name": "chain.c%03d" % (i - 1), "calls": 10}] if i else []})
    n = 4900
    size = [1] * (n + 1)
    for i in range(n, 1, -1):
        size[i // 2] += size[i]
    for i in range(1, n + 1):
        fns.append({"name": "tree.t%04d" % i, "department": "big", "value_weight": 1,
                    "calls": 10, "errors": 0, "total_ms": float(size[i]),
                    "callers": [{"name": "tree.t%04d" % (i // 2), "calls": 10}] if i > 1 else []})
    return fns


def check_big(browser, srv, db):
    key = harness.key_create(db, "big")
    harness.ingest_all(srv, key, big_project())
    browser.goto(srv.url("/?project=big#/flame"))
    browser.wait_for('document.querySelectorAll("#flame g.flame-box").length > 0', "big flame")
    took = browser.evaluate("""(async () => { const r = await getJson(reportQuery(0));
      const t = performance.now(); drawFlame(r); return [performance.now() - t, r.functions.length]; })()""")
    boxes = json.loads(browser.evaluate(BOXES))
    check(took[1] == 5000 and took[0] < 2000, "5,000 functions drawn in %.0f ms" % took[0])
    check(max(b["depth"] for b in boxes) == 31 and min(b["w"] for b in boxes) >= 1,
          "depth and narrow boxes: depth %d, narrowest %.3f" % (
              max(b["depth"] for b in boxes), min(b["w"] for b in boxes)))
    chain = sorted(b["depth"] for b in boxes if b["name"].startswith("chain."))
    check(chain == list(range(32)), "the chain stops at 32 rows: %r" % chain)
    print("5,000 functions: %d boxes in %.0f ms" % (len(boxes), took[0]))


def check_probe_with_token(tmp):
    """With read tokens, the probe's POST carries the page's token."""
    token = "causes-read-token-0123456789"
    tmp = os.path.join(tmp, "tokens")
    os.mkdir(tmp)
    db, key = harness.shop_database(tmp)
    auth = {"Authorization": "Bearer " + token}
    with harness.Collector(db, ["--read-token", token]) as srv, cdp.Browser() as browser:
        status, reply = srv.ingest({"functions": [element(f) for f in CHAIN]}, key)
        check(status == 200, "ingest: %d %r" % (status, reply))
        browser.goto(srv.url("/#/function/charge"))
        browser.wait_for('!document.getElementById("token-form").hidden', "the token prompt")
        browser.evaluate('document.getElementById("token-input").value = %s;'
                         ' document.getElementById("token-form").requestSubmit()' % json.dumps(token))
        browser.wait_for('!!document.querySelector("#fn-causes table")', "charge's page with the token")
        status, _, _ = srv.request("/api/probes?project=shop")
        check(status == 401, "/api/probes without the token: %d" % status)
        browser.evaluate('document.getElementById("fn-probe-start").click()')
        browser.wait_for('document.getElementById("fn-probe").dataset.active === "1"', "the probe")
        status, body, _ = srv.request("/api/probes?project=shop", headers=auth)
        listed = json.loads(body)["probes"] if status == 200 else []
        check([p["function"] for p in listed] == ["charge"], "probes: %d %r" % (status, body))


def test(tmp):
    harness.chromium_or_skip()
    db, key = harness.shop_database(tmp)
    with harness.Collector(db) as srv, cdp.Browser() as browser:
        status, reply = srv.ingest({"functions": [element(f) for f in CHAIN]}, key)
        check(status == 200, "ingest: %d %r" % (status, reply))
        api = srv.get_json("/api/function?project=shop&name=api_checkout")
        check(api.get("root_causes") == CHAIN[0]["root_causes"],
              "the collector keeps root causes: %r" % api.get("root_causes"))
        browser.goto(srv.url("/?project=shop#/function/api_checkout"))
        png = check_function_page(browser)
        check_probe(browser, srv)
        check_navigation(browser)
        check_self_column(browser, srv)
        flame = check_flame(browser, srv)
        check_big(browser, srv, db)
    check_probe_with_token(tmp)
    print("screenshots:", png, flame)


if __name__ == "__main__":
    harness.main(test)
