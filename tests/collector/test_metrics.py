# SPDX-License-Identifier: Apache-2.0
"""test_metrics.py - /metrics in the Prometheus text format: HELP and
TYPE lines, cumulative counters per function and department, and label
values escaped (backslash, double quote) as the format requires; only
functions called at least once, unless `serve --metrics-all-functions`;
the latency summary's quantiles, exact from the contract's bucket
formula over histograms summed across batches, only for functions with
timed calls."""
import os

import harness
from harness import check
from test_extensions import bucket_of, percentile_ms

# checkout.apply_coupon's histogram per batch: 90 % about 1 ms, 8 % about
# 5 ms, 2 % about 40 ms, so p50, p95 and p99 fall in three buckets.
HIST = {bucket_of(1000000): 90, bucket_of(5000000): 8, bucket_of(40000000): 2}


def test(tmp):
    db = os.path.join(tmp, "c.db")
    key = harness.key_create(db, "shop")
    odd = 'ops::say<"hi">\\n()'
    with harness.Collector(db) as srv:
        for _ in range(3):
            status, _ = srv.ingest({"functions": [
                {"name": "checkout.apply_coupon", "department": "engine", "value_weight": 9,
                 "calls": 1240, "errors": 3, "total_ms": 47000,
                 "hist": [[b, n] for b, n in sorted(HIST.items())]},
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
                     ("codensm_seconds_total", "counter"), ("codensm_value_delivered", "gauge"),
                     ("codensm_function_latency_seconds", "summary")]:
        check("# TYPE %s %s" % (fam, typ) in lines, "TYPE line for " + fam)
        check(sum(l.startswith("# HELP %s " % fam) for l in text.splitlines()) == 1,
              "one HELP line for " + fam)
        check(sum(l.startswith("# TYPE %s " % fam) for l in text.splitlines()) == 1,
              "one TYPE line for " + fam)
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
    # The quantiles of the three batches' histograms summed (the same
    # shares: the same buckets), in seconds.
    summed = {b: 3 * n for b, n in HIST.items()}
    latency = ['codensm_function_latency_seconds{%s,quantile="%s"} %s' % (
        lab, q, "%.15g" % (percentile_ms(summed, pct) / 1000.0))
        for q, pct in (("0.5", 50), ("0.95", 95), ("0.99", 99))]
    check(len({l.split()[-1] for l in latency}) == 3, "three different quantiles: %r" % latency)
    for w in latency:
        check(w in lines, "missing line %s in\n%s" % (w, text))
    # Only functions with timed calls: no other latency line.
    check(sorted(l for l in lines if l.startswith("codensm_function_latency_seconds")) ==
          sorted(latency), "latency lines:\n" + text)
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
    check(sorted(l for l in lines if l.startswith("codensm_function_latency_seconds")) ==
          sorted(latency), "--metrics-all-functions adds no latency line:\n" + body.decode())
    never = 'project="shop",function="never.called",department="unassigned"'
    for w in want + ['codensm_calls_total{%s} 0' % never, 'codensm_errors_total{%s} 0' % never,
                     'codensm_seconds_total{%s} 0' % never]:
        check(w in lines, "--metrics-all-functions: missing line %s in\n%s" % (w, body.decode()))


if __name__ == "__main__":
    harness.main(test)
