# SPDX-License-Identifier: Apache-2.0
"""test_metrics.py - /metrics in the Prometheus text format: HELP and
TYPE lines, cumulative counters per function and department, and label
values escaped (backslash, double quote) as the format requires; only
functions called at least once, unless `serve --metrics-all-functions`."""
import os

import harness
from harness import check


def test(tmp):
    db = os.path.join(tmp, "c.db")
    key = harness.key_create(db, "shop")
    odd = 'ops::say<"hi">\\n()'
    with harness.Collector(db) as srv:
        for _ in range(3):
            status, _ = srv.ingest({"functions": [
                {"name": "checkout.apply_coupon", "department": "engine", "value_weight": 9,
                 "calls": 1240, "errors": 3, "total_ms": 47000},
                {"name": odd, "department": 'dep "x"', "calls": 2, "total_ms": 0.5},
                {"name": "never.called", "calls": 0}]}, key)
            check(status == 200, "ingest %d" % status)
        # Announced with no calls, then called: listed once called.
        status, _ = srv.ingest({"functions": [{"name": "later.called", "calls": 0}]}, key)
        check(status == 200, "ingest %d" % status)
        status, body, _ = srv.request("/metrics")
        check(status == 200 and b"later.called" not in body, "a function never called listed")
        status, _ = srv.ingest({"functions": [{"name": "later.called", "calls": 5}]}, key)
        check(status == 200, "ingest %d" % status)
        status, body, headers = srv.request("/metrics")
    check(status == 200, "/metrics %d" % status)
    check(headers["Content-Type"].startswith("text/plain; version=0.0.4"), headers["Content-Type"])
    text = body.decode()
    lines = set(text.splitlines())
    for fam, typ in [("codensm_calls_total", "counter"), ("codensm_errors_total", "counter"),
                     ("codensm_seconds_total", "counter"), ("codensm_value_delivered", "gauge")]:
        check("# TYPE %s %s" % (fam, typ) in lines, "TYPE line for " + fam)
        check(any(l.startswith("# HELP %s " % fam) for l in lines), "HELP line for " + fam)
    lab = 'project="shop",function="checkout.apply_coupon",department="engine"'
    want = [
        'codensm_calls_total{%s} 3720' % lab,
        'codensm_errors_total{%s} 9' % lab,
        'codensm_seconds_total{%s} 141' % lab,
        'codensm_calls_total{project="shop",function="ops::say<\\"hi\\">\\\\n()",department="dep \\"x\\""} 6',
        'codensm_seconds_total{project="shop",function="ops::say<\\"hi\\">\\\\n()",department="dep \\"x\\""} 0.0015',
        'codensm_calls_total{project="shop",function="later.called",department="unassigned"} 5',
        'codensm_value_delivered{project="shop"} %d' % (3 * 9 * 1237 + 6 + 5),
        'codensm_functions{project="shop"} 4',
    ]
    for w in want:
        check(w in lines, "missing line %s in\n%s" % (w, text))
    check(text.endswith("\n"), "trailing newline")
    # By default a function never called makes no series at all, though
    # it is counted among the functions known.
    check("never.called" not in text, "a function never called is listed:\n" + text)

    # --metrics-all-functions: every function, the one never called too.
    with harness.Collector(db, ["--metrics-all-functions"]) as srv:
        status, body, _ = srv.request("/metrics")
    check(status == 200, "/metrics %d" % status)
    lines = set(body.decode().splitlines())
    never = 'project="shop",function="never.called",department="unassigned"'
    for w in want + ['codensm_calls_total{%s} 0' % never, 'codensm_errors_total{%s} 0' % never,
                     'codensm_seconds_total{%s} 0' % never]:
        check(w in lines, "--metrics-all-functions: missing line %s in\n%s" % (w, body.decode()))


if __name__ == "__main__":
    harness.main(test)
