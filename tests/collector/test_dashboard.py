# SPDX-License-Identifier: Apache-2.0
"""test_dashboard.py - the dashboard rendered by Debian's headless
Chromium against a live collector: the rendered DOM must hold the
function names and the North-Star value this test sent, and a
screenshot (kept as an artefact in the build directory) must be a
non-empty PNG.  Skips (exit 77) when chromium is not installed."""
import html
import re
import os
import shutil
import subprocess
import tempfile

import harness
from harness import check

ARTEFACT_DIR = os.environ.get("CNSM_ARTEFACT_DIR", os.getcwd())

FUNCS = [
    ("checkout.apply_coupon", "engine", 9, 1240, 3, 47000),
    ("shop::Cart<int>::total", "engine", 5, 400, 40, 800),
    ("search.query", "discovery", 3, 2000, 100, 10000),
    ("payments.refund", "payments", 20, 50, 5, 4000),
    ("legacy.export_csv", "engine", 1, 0, 0, 0),
]


def chromium(args, url, timeout=120):
    profile = tempfile.mkdtemp(prefix="cnsm-chromium-")
    try:
        cmd = [shutil.which("chromium"), "--headless", "--no-sandbox", "--disable-gpu",
               "--disable-quic", "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
               "--user-data-dir=" + profile, "--window-size=1280,1600",
               "--virtual-time-budget=5000"] + args + [url]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def test(tmp):
    harness.chromium_or_skip()
    db, key = harness.shop_database(tmp)
    with harness.Collector(db) as srv:
        status, _ = srv.ingest({"functions": [
            {"name": n, "department": d, "value_weight": w, "calls": c, "errors": e, "total_ms": t}
            for n, d, w, c, e, t in FUNCS]}, key)
        check(status == 200, "ingest")
        status, page, headers = srv.request("/")
        check(status == 200 and b"<html" in page, "GET / serves the page")
        check(b"http://" not in page.replace(b"http://www.w3.org/2000/svg", b"")
              and b"https://" not in page, "the page loads nothing external")
        check("default-src 'none'" in headers.get("Content-Security-Policy", ""), "CSP header")

        dom = chromium(["--dump-dom"], srv.url("/"))
        check(dom.returncode == 0, "chromium --dump-dom failed: %s" % dom.stderr[-2000:])
        text = dom.stdout
        nsm = sum(w * (c - e) for _, _, w, c, e, _ in FUNCS)
        check('data-value="%d"' % nsm in text, "NSM %d not in the DOM:\n%s" % (nsm, text[:3000]))
        check("{:,}".format(nsm) in text, "NSM shown as %s" % "{:,}".format(nsm))
        check('id="nsm-title">North-Star Metric<' in text and
              'id="nsm-name">value delivered = sum of value_weight' in text,
              "with value weights the headline is the North-Star Metric")
        for name, dep, *_ in FUNCS:
            check(html.escape(name, quote=False) in text, "%s not rendered" % name)
            check(dep in text, "department %s not rendered" % dep)
        check(re.search(r"id=\"status\">updated", text), "dashboard could not reach the API")

        png = os.path.join(ARTEFACT_DIR, "collector-dashboard.png")
        if os.path.exists(png):
            os.unlink(png)
        shot = chromium(["--screenshot=" + png], srv.url("/"))
        check(shot.returncode == 0, "chromium --screenshot failed: %s" % shot.stderr[-2000:])
        with open(png, "rb") as f:
            data = f.read()
        check(len(data) > 10000 and data[:8] == b"\x89PNG\r\n\x1a\n", "screenshot is not a PNG")
        check("GET /api/report" in srv.logtext(), "the page fetched the API")
    print("screenshot:", png)


if __name__ == "__main__":
    harness.main(test)
