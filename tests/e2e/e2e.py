#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""End-to-end tests of the pass and the runtime: compile real programs with
clang -fpass-plugin=CodeNSM.so, run them, and check the exact figures the
runtime delivers, plus unchanged output and exit code against a plain build.

    e2e.py --case NAME --clang C --plugin P --runtime-dir D --include I [--collector X]
           [--gcc CODENSM_GCC]

With --gcc, the same cases are built by codensm-gcc and codensm-g++ (the
source rewriter, tools/codensm-gcc) and their plain builds by gcc and g++,
with the same expectations.

Each case is one ctest test.  Figures arrive through the file:// sink (one
JSON body per line) or, in the collector case, through the real collector
over HTTP on 127.0.0.1.
"""
import argparse
import hashlib
import json
import re
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import http.server
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
PROGRAMS = os.path.join(HERE, "programs")


class Failure(Exception):
    pass


class TimingFailure(Failure):
    """A check of measured time: a preemption on a loaded machine (CI runs
    two tests at once) can push one run past it, so the case is run again,
    up to ATTEMPTS times in all; a check of counts is never retried, and a
    bias fails every attempt."""


ATTEMPTS = 3


def expect(condition, message):
    if not condition:
        raise Failure(message)


def expect_timing(condition, message):
    if not condition:
        raise TimingFailure(message)


class Toolchain:
    def __init__(self, args, workdir):
        self.clang = args.clang
        self.clangxx = args.clang + "++"
        self.plugin = args.plugin
        self.runtime_dir = args.runtime_dir
        self.include = args.include
        self.collector = args.collector
        self.workdir = workdir
        self.gcc = args.gcc  # codensm-gcc: build with GCC through the rewriter

    def driver(self, instrument, cxx):
        """The compiler command's start for one build."""
        if self.gcc:
            if instrument:
                return [os.path.join(os.path.dirname(self.gcc), "codensm-g++") if cxx
                        else self.gcc]
            return ["g++" if cxx else "gcc"]
        cmd = [self.clangxx if cxx else self.clang]
        return cmd + (["-fpass-plugin=" + self.plugin] if instrument else [])

    def compile(self, sources, output, flags=(), instrument=True, cxx=False,
                cwd=None, shared=False, link=True):
        """Builds sources into output; instrumented builds load the plugin and
        link libcodensm, plain builds are the same command without them."""
        cmd = self.driver(instrument, cxx) + ["-I", self.include]
        if any(f.startswith("-codensm-") for f in flags) and not self.gcc:
            cmd += ["-fplugin=" + self.plugin]  # registers the -mllvm options
        cmd += list(flags)
        if shared:
            cmd += ["-shared", "-fPIC"]
        if not link:
            cmd += ["-c"]
        cmd += list(sources) + ["-o", output]
        if instrument and link and not self.gcc:  # codensm-gcc links it itself
            cmd += ["-L" + self.runtime_dir, "-lcodensm",
                    "-Wl,-rpath," + self.runtime_dir]
        if link and not shared:
            cmd += ["-ldl", "-lpthread"]
        result = subprocess.run(cmd, cwd=cwd or self.workdir,
                                capture_output=True, text=True, timeout=300)
        expect(result.returncode == 0,
               "compile failed: %s\n%s" % (" ".join(cmd), result.stderr))
        expect("codensm-gcc: warning" not in result.stderr,
               "not instrumented: %s\n%s" % (" ".join(cmd), result.stderr))
        return output

    def program(self, name, level):
        """Builds programs/<name> (C, or C++ for .cpp) instrumented at the
        optimisation level into the work directory; returns the executable."""
        stem, ext = os.path.splitext(name)
        return self.compile([os.path.join(PROGRAMS, name)], os.path.join(self.workdir, stem),
                            OPT_LEVELS[level], cxx=ext == ".cpp")


def run(exe, env_extra=None, cwd=None, args=()):
    env = dict(os.environ)
    for key in list(env):
        if key.startswith("CODENSM_"):
            del env[key]
    env.update(env_extra or {})
    result = subprocess.run([exe] + list(args), cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=120)
    return result


# What a file:// sink also gets (docs/ingest-contract.md, "Extensions").
EXTENSIONS = {"hist", "file", "line", "root_causes", "callers"}


def add_named_counts(sums, entries, field, count):
    """Checks a list of {"name", count} (callers, root_causes) and adds it
    to sums, {name: count}."""
    names = [e.get("name") for e in entries]
    expect(entries and len(set(names)) == len(names)
           and all(set(e) == {"name", count} and isinstance(e["name"], str)
                   and isinstance(e[count], int) and e[count] >= 1 for e in entries),
           "malformed %s: %r" % (field, entries))
    for e in entries:
        sums[e["name"]] = sums.get(e["name"], 0) + e[count]


def add_extensions(s, fn):
    """Checks fn's extension fields and adds them to the sums s."""
    if "hist" in fn:
        pairs = fn["hist"]
        buckets = [b for b, _ in pairs]
        expect(buckets == sorted(set(buckets)) and all(0 <= b < 976 for b in buckets)
               and all(isinstance(c, int) and c >= 1 for _, c in pairs),
               "malformed hist: %r" % pairs)
        for b, c in pairs:
            s["hist"][b] = s["hist"].get(b, 0) + c
    for field, count in (("callers", "calls"), ("root_causes", "errors")):
        if field in fn:
            add_named_counts(s.setdefault(field, {}), fn[field], field, count)
    if "file" in fn or "line" in fn:
        expect(isinstance(fn.get("file"), str) and isinstance(fn.get("line"), int)
               and fn["line"] >= 1, "malformed source location: %r" % fn)
        s["file"], s["line"] = fn["file"], fn["line"]


def hist_value(bucket):
    """The ns a wire bucket stands for (include/codensm_hist.h)."""
    if bucket < 16:
        return float(bucket)
    e = bucket // 16 + 3
    return float((16 + bucket % 16) << (e - 4)) + (1 << (e - 4)) / 2


def percentile_ns(hist, q):
    """The q-quantile of a {bucket: count} histogram, as the collector reads it."""
    total = sum(hist.values())
    seen = 0
    for b in sorted(hist):
        seen += hist[b]
        if seen >= q * total:
            return hist_value(b)
    return None


def totals(jsonl_path):
    """Sums the deltas of every line of a file:// sink by function name."""
    sums = {}
    expect(os.path.exists(jsonl_path), "no figures were written to " + jsonl_path)
    with open(jsonl_path) as f:
        for line in f:
            body = json.loads(line)
            expect(list(body.keys()) == ["functions"], "unexpected keys: %r" % body.keys())
            for fn in body["functions"]:
                contract = {"name", "department", "value_weight", "calls", "errors",
                            "total_ms"}
                expect(contract <= set(fn.keys())
                       and set(fn.keys()) <= contract | EXTENSIONS,
                       "unexpected fields: %r" % fn)
                s = sums.setdefault(fn["name"], {"calls": 0, "errors": 0, "total_ms": 0.0,
                                                 "hist": {}})
                s["calls"] += fn["calls"]
                s["errors"] += fn["errors"]
                s["total_ms"] += fn["total_ms"]
                s["department"] = fn["department"]
                s["value_weight"] = fn["value_weight"]
                add_extensions(s, fn)
    return sums


def run_counted(tc, exe, name, cwd=None, args=(), env=None):
    sink = os.path.join(tc.workdir, name + ".jsonl")
    if os.path.exists(sink):
        os.unlink(sink)
    extra = {"CODENSM_ENDPOINT": "file://" + sink,
             "CODENSM_SPOOL_DIR": os.path.join(tc.workdir, "spool")}
    extra.update(env or {})
    result = run(exe, extra, cwd=cwd, args=args)
    return result, totals(sink)


def expect_counts(sums, name, calls, errors=None):
    expect(name in sums, "%s missing from %s" % (name, sorted(sums)))
    got = sums[name]
    expect(got["calls"] == calls, "%s: calls %d, expected %d" % (name, got["calls"], calls))
    if errors is not None:
        expect(got["errors"] == errors,
               "%s: errors %d, expected %d" % (name, got["errors"], errors))


def expect_same_behaviour(plain, instrumented):
    expect(plain.stdout == instrumented.stdout,
           "output changed:\n%r\n%r" % (plain.stdout, instrumented.stdout))
    expect(plain.returncode == instrumented.returncode,
           "exit code changed: %d -> %d" % (plain.returncode, instrumented.returncode))


# --------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------

OPT_LEVELS = {
    "O0": ["-O0"],
    "O1": ["-O1"],
    "O2": ["-O2"],
    "O3": ["-O3"],
    "O3-g": ["-O3", "-g"],
    "Os": ["-Os"],
    "thinlto": ["-O2", "-flto=thin", "-fuse-ld=lld"],
    "fulllto": ["-O2", "-flto", "-fuse-ld=lld"],
    "pic": ["-O2", "-fPIC", "-pie"],
    "static-runtime": ["-O2"],
    # Functions inlined where the plain build inlines them (the hooks
    # priced at nothing): every inlined copy still counts exactly.
    "O2-inline": ["-O2", "-mllvm", "-codensm-inline-as-plain"],
    # Leak checking at exit must not turn the runtime's records into reports
    # that change the exit code.
    "asan": ["-O1", "-g", "-fsanitize=address"],
}


def case_fib(tc, level):
    """fib(20) makes 21891 calls at every level, the output and the exit code
    (3) are unchanged, and inlining at -O2 loses nothing."""
    src = os.path.join(PROGRAMS, "fib.c")
    flags = OPT_LEVELS[level]
    plain = run(tc.compile([src], os.path.join(tc.workdir, "fib.plain"), flags, instrument=False))
    if level == "static-runtime":
        exe = os.path.join(tc.workdir, "fib.static")
        cmd = [tc.clang, "-O2", "-fpass-plugin=" + tc.plugin, src, "-o", exe,
               os.path.join(tc.runtime_dir, "libcodensm.a"),
               "-lcjson", "-lnettle", "-lpthread"]  # pkg-config --static --libs codensm
        result = subprocess.run(cmd, cwd=tc.workdir, capture_output=True, text=True)
        expect(result.returncode == 0, "static link failed: " + result.stderr)
    else:
        exe = tc.compile([src], os.path.join(tc.workdir, "fib"), flags)
    instrumented, sums = run_counted(tc, exe, "fib")
    expect_same_behaviour(plain, instrumented)
    expect(instrumented.returncode == 3, "exit code %d" % instrumented.returncode)
    expect_counts(sums, "fib.fib", 21891, 0)
    expect_counts(sums, "fib.main", 1, 0)
    expect(sums["fib.fib"]["total_ms"] > 0, "no time recorded for fib.fib")


def case_runtime_hooks(tc, level):
    """Left unexpanded (-codensm-expand=0), the hooks are calls into the
    runtime's __codensm_enter/__codensm_exit, which count and time the same."""
    src = os.path.join(PROGRAMS, "fib.c")
    flags = OPT_LEVELS[level] + ["-fplugin=" + tc.plugin, "-mllvm", "-codensm-expand=0"]
    plain = run(tc.compile([src], os.path.join(tc.workdir, "fib.plain"), flags[:1],
                           instrument=False))
    exe = tc.compile([src], os.path.join(tc.workdir, "fib"), flags)
    symbols = subprocess.run(["nm", exe], capture_output=True, text=True).stdout
    expect("U __codensm_enter" in symbols and "U __codensm_exit" in symbols,
           "the hooks were expanded: the test proves nothing")
    instrumented, sums = run_counted(tc, exe, "fib")
    expect_same_behaviour(plain, instrumented)
    expect_counts(sums, "fib.fib", 21891, 0)
    expect_counts(sums, "fib.main", 1, 0)
    expect(sums["fib.fib"]["total_ms"] > 0, "no time recorded for fib.fib")


def case_throws(tc, level):
    """risky() throws on 3 of every 10 calls: calls 20, errors 6, through a
    caller whose catch is for another type, and through passOn(), inlined
    at its only call site (an exception through a copy whose calls its
    site's edge counts: its errors are in a slot that counts none of its
    calls, and were once dropped there).  With every call timed
    (CODENSM_SAMPLE_PERIOD=1) the calls that unwind are timed too: their
    cleanup's one call of the runtime (__codensm_exit) stops the clock, in
    a timed twin and, with twins off, where the start stays in the
    function."""
    src = os.path.join(PROGRAMS, "throws.cpp")
    flags = OPT_LEVELS[level]
    plain = run(tc.compile([src], os.path.join(tc.workdir, "throws.plain"), flags,
                           instrument=False, cxx=True))
    builds = [("throws", [])]
    # -O0 keeps every hook a runtime call; GCC's rewriter has no twins.
    if level != "O0" and not tc.gcc:
        builds.append(("throws-notwins", ["-mllvm", "-codensm-timed-twins=0"]))
    for name, extra in builds:
        exe = tc.compile([src], os.path.join(tc.workdir, name), flags + extra, cxx=True)
        for period in (None, "1"):
            env = {"CODENSM_SAMPLE_PERIOD": period} if period else {}
            instrumented, sums = run_counted(tc, exe, "%s-%s" % (name, period), env=env)
            expect_same_behaviour(plain, instrumented)
            expect_counts(sums, "throws.risky", 20, 6)
            expect_counts(sums, "throws.viaOther", 10, 3)
            expect_counts(sums, "passOn", 10, 3)
            expect_counts(sums, "throws.main", 1, 0)
            # The exception risky() throws is the root cause of viaOther's
            # and passOn's errors.
            expect(sums["throws.risky"].get("root_causes") == {"throws.risky": 6},
                   "throws.risky: root causes %r" % sums["throws.risky"].get("root_causes"))
            for fn in ("throws.viaOther", "passOn"):
                expect(sums[fn].get("root_causes") == {"throws.risky": 3},
                       "%s: root causes %r" % (fn, sums[fn].get("root_causes")))
            # Inlined copies are counted, not timed (instrumentation.md).
            for fn, calls in (("throws.risky", 20), ("throws.viaOther", 10)):
                if period:
                    timed = sum(sums[fn]["hist"].values())
                    expect(timed == calls, "%s (%s): %d calls in the histogram, expected %d"
                           % (fn, name, timed, calls))


def case_negative(tc, level):
    """CODENSM_ERRORS_WHEN_NEGATIVE: parse() returns -1 on 4 of 9 calls;
    CODENSM_ERRORS_WHEN_NULL: find() returns NULL on 3 of 5."""
    src = os.path.join(PROGRAMS, "negative.c")
    flags = OPT_LEVELS[level]
    plain = run(tc.compile([src], os.path.join(tc.workdir, "negative.plain"), flags,
                           instrument=False))
    exe = tc.compile([src], os.path.join(tc.workdir, "negative"), flags)
    instrumented, sums = run_counted(tc, exe, "negative")
    expect_same_behaviour(plain, instrumented)
    expect_counts(sums, "negative.parse", 9, 4)
    expect_counts(sums, "negative.find", 5, 3)
    expect(sums["negative.parse"].get("root_causes") == {"negative.parse": 4},
           "root causes %r" % sums["negative.parse"].get("root_causes"))
    expect(sums["negative.parse"]["department"] == "ingest", "department %r" % sums["negative.parse"])
    expect(sums["negative.parse"]["value_weight"] == 7, "weight %r" % sums["negative.parse"])


def case_excluded(tc, level):
    """A file excluded by .codensm.yaml shows nothing; included files do,
    named relative to the configuration's directory."""
    project = os.path.join(tc.workdir, "project")
    shutil.copytree(os.path.join(PROGRAMS, "excluded"), project)
    exe = tc.compile(["src/app.c", "vendor/hash.c"], os.path.join(tc.workdir, "app"),
                     OPT_LEVELS[level], cwd=project)
    instrumented, sums = run_counted(tc, exe, "excluded")
    expect(instrumented.stdout == "1272\n", "output %r" % instrumented.stdout)
    expect_counts(sums, "src/app.app_main_work", 1, 0)
    expect_counts(sums, "src/app.main", 1, 0)
    expect(not any("hash" in name for name in sums), "excluded code reported: %r" % sorted(sums))


def case_dlopen(tc, level):
    """A function in a dlopen()ed library keeps its counts after dlclose()."""
    flags = OPT_LEVELS[level]
    lib_src = os.path.join(PROGRAMS, "plugin_lib.c")
    shutil.copy(lib_src, tc.workdir)
    shutil.copy(os.path.join(PROGRAMS, "dlopen_main.c"), tc.workdir)
    tc.compile(["plugin_lib.c"], os.path.join(tc.workdir, "plugin_lib.so"), flags,
               shared=True)
    tc.compile(["plugin_lib.c"], os.path.join(tc.workdir, "plugin_lib_plain.so"), flags,
               shared=True, instrument=False)
    plain_main = tc.compile(["dlopen_main.c"], os.path.join(tc.workdir, "main.plain"), flags,
                            instrument=False)
    plain = run(plain_main, cwd=tc.workdir, args=["./plugin_lib_plain.so"])
    exe = tc.compile(["dlopen_main.c"], os.path.join(tc.workdir, "main"), flags)
    instrumented, sums = run_counted(tc, exe, "dlopen", cwd=tc.workdir, args=["./plugin_lib.so"])
    expect_same_behaviour(plain, instrumented)
    expect_counts(sums, "plugin_lib.plugin_work", 1, 0)
    expect_counts(sums, "plugin_lib.plugin_square", 100, 0)
    expect_counts(sums, "dlopen_main.main", 1, 0)


def case_exit_unload(tc, level):
    """At exit the program's own modules are read where they are, not folded
    one by one (CODENSM_DEBUG names each module folded), while a library a
    destructor dlclose()s during the exit is still folded before it goes:
    read after it was unmapped, its counts would be lost or the exit
    crash.  Counts exact either way, a call made in that destructor too."""
    flags = OPT_LEVELS[level]
    for name in ("plugin_lib.c", "exit_dlclose.c"):
        shutil.copy(os.path.join(PROGRAMS, name), tc.workdir)
    tc.compile(["plugin_lib.c"], os.path.join(tc.workdir, "plugin_lib.so"), flags,
               shared=True)
    plain_main = tc.compile(["exit_dlclose.c"], os.path.join(tc.workdir, "main.plain"),
                            flags, instrument=False)
    plain = run(plain_main, cwd=tc.workdir, args=["./plugin_lib.so"])
    exe = tc.compile(["exit_dlclose.c"], os.path.join(tc.workdir, "main"), flags)
    instrumented, sums = run_counted(tc, exe, "exit_dlclose", cwd=tc.workdir,
                                     args=["./plugin_lib.so"], env={"CODENSM_DEBUG": "1"})
    expect(instrumented.returncode == plain.returncode == 0
           and instrumented.stdout == plain.stdout,
           "behaviour changed: %r against %r" % (instrumented.stdout, plain.stdout))
    expect_counts(sums, "plugin_lib.plugin_work", 1, 0)
    expect_counts(sums, "plugin_lib.plugin_square", 100, 0)
    expect_counts(sums, "exit_dlclose.twice", 11, 0)
    expect_counts(sums, "exit_dlclose.unload_at_exit", 1, 0)
    folded = re.findall(r"^codensm: unregistered (\S+)$", instrumented.stderr, re.M)
    expect(folded == ["plugin_lib"],
           "modules folded at exit: %r, expected only plugin_lib\n%s"
           % (folded, instrumented.stderr))


def case_threads(tc, level):
    """8 threads x 1,000,000 calls of one function, exactly; each thread's
    first call (scale's, whose chunk the runtime makes real while its
    double arguments wait in vector registers) computes what it should."""
    exe = tc.program("threads.c", level)
    instrumented, sums = run_counted(tc, exe, "threads")
    want = "".join("%g\n" % (1.5 * (i + 1) * (2.0 + i) + 0.25) for i in range(8))
    expect(instrumented.returncode == 0 and instrumented.stdout == want + "done\n",
           "%r\n%s" % (instrumented.stdout, instrumented.stderr))
    expect_counts(sums, "threads.tick", 8000000, 0)
    expect_counts(sums, "threads.scale", 8, 0)


def case_fork(tc, level):
    """A forked child and its parent each report their own calls.  The
    child, forked before its parent's first flush, leaves the announcing
    of the functions it did not call to the parent: never_called is sent
    once, where every child of a forking server sent every function."""
    exe = tc.program("forks.c", level)
    instrumented, sums = run_counted(tc, exe, "forks")
    expect(instrumented.returncode == 0, instrumented.stderr)
    expect_counts(sums, "forks.parent_work", 10, 0)
    expect_counts(sums, "forks.child_work", 7, 0)
    expect_counts(sums, "forks.main", 1, 0)
    expect_counts(sums, "forks.never_called", 0, 0)
    with open(os.path.join(tc.workdir, "forks.jsonl")) as f:
        rows = [fn for line in f for fn in json.loads(line)["functions"]
                if fn["name"] == "forks.never_called"]
    expect(len(rows) == 1, "never_called announced %d times: %r" % (len(rows), rows))


def case_fork_sampling(tc, level):
    """Children forked from one state decide for themselves which calls they
    time: 400 children each make one 1 ms call of a function the parent
    timed about one call in 32.  Copying the parent's targets, every child
    timed it or none did (a test runner's children summed to 60 times the
    run's length); drawn anew in each child, some are timed, and the
    children's estimates add up to about what the calls took."""
    exe = tc.program("fork_sampling.c", level)
    sink = os.path.join(tc.workdir, "fork-sampling.jsonl")
    if os.path.exists(sink):
        os.unlink(sink)
    result = run(exe, {"CODENSM_ENDPOINT": "file://" + sink,
                       "CODENSM_SPOOL_DIR": os.path.join(tc.workdir, "spool")})
    expect(result.returncode == 0 and "400 children" in result.stdout,
           "fork_sampling: %r %r" % (result.returncode, result.stderr))
    children = []  # (total_ms, whether the call was timed: it has buckets)
    with open(sink) as f:
        for line in f:
            for fn in json.loads(line)["functions"]:
                if fn["name"] == "fork_sampling.work" and fn["calls"] == 1:
                    children.append((fn["total_ms"], "hist" in fn))
    expect(len(children) == 400, "%d children reported work() once" % len(children))
    timed = sum(1 for _, was_timed in children if was_timed)
    expect_timing(0 < timed < 400,
                  "%d of 400 children timed their call: they did not draw their own" % timed)
    total = sum(ms for ms, _ in children)
    expect_timing(0.3 * 400 < total < 2.5 * 400,
                  "the children's calls add up to %.0f ms for 400 of 1 ms" % total)


def case_fork_keys(tc, level):
    """Each fork child sends under keys of its own.  The runtime installed
    the fork handler that gives a child new keys at its first batch; glibc
    skips a handler registered once a fork has begun, so a child forked
    then kept its parent's keys, and the second body sent under one key
    was refused (422) and its calls dropped, with a warning.  Here the
    first batch is sent from the program's own fork handler (it flushes
    before each fork), which made that happen at the first fork every
    time; before the fix in a server it took a fork during the flusher
    thread's first batch (1 run in 6 of a 50-child program)."""
    exe = tc.program("fork_keys.c", level)
    db = os.path.join(tc.workdir, "collector.db")
    server, port, key = start_collector(tc, db)
    try:
        result = run(exe, collector_env(tc, port, key), args=["10"])
        expect(result.returncode == 0 and "refused" not in result.stderr,
               "fork_keys: %r %r" % (result.returncode, result.stderr))
        functions = report_functions(tc, db)
        expect_counts(functions, "fork_keys.child_work", 10, 0)
        expect_counts(functions, "fork_keys.parent_work", 10, 0)
    finally:
        log = stop_collector(server)
    # A batch of several functions refused so is split and sent again
    # under new keys, so the counts survive it: the refusal itself is
    # what must not happen (the old runtime's 3-child run had one).
    refused = [line for line in log.splitlines() if line.startswith("POST ")
               and line.split()[2] == "422"]
    expect(not refused, "a key sent with two bodies: %r" % refused)


def case_fork_handoff(tc, level):
    """A fork child whose parent sends over http hands its figures to the
    parent at its exit, which sends them merged with its own: 20 children
    make no request of their own (a forking server's children each sent a
    batch at exit, and at 25 connections a second the collector was the
    bottleneck), and every figure arrives exactly once, the children's
    callers, root causes and timed calls with it."""
    exe = tc.program("fork_handoff.c", level)
    db = os.path.join(tc.workdir, "collector.db")
    server, port, key = start_collector(tc, db)
    try:
        env = collector_env(tc, port, key)
        env["CODENSM_FLUSH_INTERVAL"] = "60"
        result = run(exe, env, args=["20", "50"])
        expect(result.returncode == 0 and result.stdout == "20 children\n",
               "fork_handoff: %r %r" % (result.returncode, result.stderr))
        functions = report_functions(tc, db, "--since", "all")
    finally:
        log = stop_collector(server)
    posts = [line for line in log.splitlines() if line.startswith("POST ")]
    # The parent's exit: its figures and the children's, in one request
    # (two when the collector's answer first asks for extensions).
    expect(1 <= len(posts) <= 2, "%d requests for 20 children:\n%s"
           % (len(posts), "\n".join(posts)))
    expect_counts(functions, "fork_handoff.accept_one", 20, 0)
    expect_counts(functions, "fork_handoff.serve", 20, 0)
    expect_counts(functions, "fork_handoff.step", 20 * 50, 0)
    expect_counts(functions, "fork_handoff.charge", 20, 7)
    expect_counts(functions, "fork_handoff.db_write", 20, 7)
    callers = {c["name"]: c["calls"] for c in functions["fork_handoff.step"]["callers"]}
    expect(callers == {"fork_handoff.serve": 1000}, "step's callers: %r" % callers)
    causes = {c["name"]: c["errors"] for c in functions["fork_handoff.charge"]["root_causes"]}
    expect(causes == {"fork_handoff.db_write": 7}, "charge's root causes: %r" % causes)
    p50 = functions["fork_handoff.step"]["p50_ms"]
    expect_timing(p50 is not None and 0.015 < p50 < 0.2,
                  "step's median: %r ms for calls of 20 us" % p50)


def case_handoff_between_flushes(tc, level):
    """A forking server's children's files are taken over within about a
    second, not left in the spool until its next flush: a PostgreSQL
    postmaster at 56 connections a second had some 800 (300 MB) waiting
    for its flush every 15 s.  Its flush still sends them, once."""
    exe = tc.program("fork_handoff.c", level)
    db = os.path.join(tc.workdir, "collector.db")
    spool = os.path.join(tc.workdir, "spool-between")
    shutil.rmtree(spool, ignore_errors=True)
    server, port, key = start_collector(tc, db)
    try:
        env = inherited_collector_env(tc, port, key)
        env.update({"CODENSM_SPOOL_DIR": spool, "CODENSM_FLUSH_INTERVAL": "60"})
        parent = subprocess.Popen([exe, "5", "5", "1500"], env=env,
                                  stdout=subprocess.PIPE, text=True)
        most = 0
        while parent.poll() is None:
            most = max(most, len(deltas_files(spool)))
            time.sleep(0.05)
        expect(parent.returncode == 0 and parent.stdout.read() == "5 children\n",
               "between flushes: %r" % parent.returncode)
        functions = report_functions(tc, db, "--since", "all")
    finally:
        log = stop_collector(server)
    # Each child's file waits at most a second; the children come 1.5 s
    # apart (with one flush a minute, all five waited for the exit).
    expect(most <= 2, "%d children's files in the spool at once" % most)
    posts = [line for line in log.splitlines() if line.startswith("POST ")]
    expect(1 <= len(posts) <= 2, "%d requests:\n%s" % (len(posts), "\n".join(posts)))
    expect_counts(functions, "fork_handoff.serve", 5, 0)
    expect_counts(functions, "fork_handoff.step", 25, 0)
    expect_counts(functions, "fork_handoff.charge", 5, 2)


def case_handoff_unsettled(tc, level):
    """A forking server whose key the collector refuses (401) keeps its
    figures pending, and still takes its children's files over: the spool
    stays bounded (a PostgreSQL postmaster in that state left 521 files,
    195 MB, in a few minutes).  Once the key is accepted, everything the
    refused run counted arrives, exactly once."""
    exe = tc.program("fork_handoff.c", level)
    known = os.path.join(tc.workdir, "collector.db")
    unknown = os.path.join(tc.workdir, "other.db")
    spool = os.path.join(tc.workdir, "spool-unsettled")
    shutil.rmtree(spool, ignore_errors=True)
    key = new_key(tc, known)
    new_key(tc, unknown)
    server, port, _ = start_collector(tc, unknown, key=key)
    try:
        env = collector_env(tc, port, key)
        env.update({"CODENSM_SPOOL_DIR": spool, "CODENSM_FLUSH_INTERVAL": "0.1"})
        result = run(exe, env, args=["12", "5", "250"])
        expect(result.returncode == 0 and result.stdout == "12 children\n",
               "refused run: %r %r" % (result.returncode, result.stderr))
        expect(result.stderr.count("refused") == 1,
               "the refused key said once: %r" % result.stderr)
    finally:
        stop_collector(server)
    deltas = deltas_files(spool)
    # The parent's exit leaves one file of extensions (its counts stay in
    # its live file); each child's file was taken over as it came.
    expect(len(deltas) <= 2, "%d deltas files in the spool for 12 children: %r"
           % (len(deltas), deltas))
    server, port, _ = start_collector(tc, known, port=port, key=key)
    try:
        result = run(exe, env, args=["1", "5"])
        expect(result.returncode == 0, "accepted run: %r" % result.stderr)
        functions = report_functions(tc, known, "--since", "all")
    finally:
        stop_collector(server)
    expect_counts(functions, "fork_handoff.accept_one", 13, 0)
    expect_counts(functions, "fork_handoff.serve", 13, 0)
    expect_counts(functions, "fork_handoff.step", 13 * 5, 0)
    expect_counts(functions, "fork_handoff.charge", 13, 5)
    callers = {c["name"]: c["calls"] for c in functions["fork_handoff.step"]["callers"]}
    expect(callers == {"fork_handoff.serve": 65}, "step's callers: %r" % callers)


def case_hard_end(tc, level):
    """The program dies by SIGKILL, abort() and _exit() before any flush of
    its own, once each: each next run with the same sink and spool delivers
    what the dead one counted (at its flusher's start), exactly once, and
    the last, normal run its own too."""
    exe = tc.program("hardend.c", level)
    sink = os.path.join(tc.workdir, "hardend.jsonl")
    env = {"CODENSM_ENDPOINT": "file://" + sink,
           "CODENSM_SPOOL_DIR": os.path.join(tc.workdir, "spool")}
    for how, status in (("kill", -signal.SIGKILL), ("abort", -signal.SIGABRT),
                        ("_exit", 3)):
        result = run(exe, env, args=[how])
        expect(result.returncode == status,
               "%s: exit status %d, expected %d" % (how, result.returncode, status))
        if how == "kill":
            expect(not os.path.exists(sink), "kill: sent before it died")
    result = run(exe, env)
    expect(result.returncode == 0, result.stderr)
    sums = totals(sink)
    expect_counts(sums, "hardend.step", 4 * 4 * 100000, 0)
    expect_counts(sums, "hardend.worker", 4 * 4, 0)
    expect_counts(sums, "hardend.main", 4, 0)


def expect_one_child_served(functions, steps):
    """fork_handoff.c's one child's figures arrived: serve once, steps
    steps."""
    expect_counts(functions, "fork_handoff.serve", 1, 0)
    expect_counts(functions, "fork_handoff.step", steps, 0)


def case_handoff_orphan(tc, level):
    """A fork child whose parent was killed sends its figures itself: its
    parent's page still says it takes them, and only the parent's pid
    tells it is gone.  Handed to a dead parent, they would wait in the
    spool for some later process."""
    exe = tc.program("fork_handoff.c", level)
    db = os.path.join(tc.workdir, "collector.db")
    server, port, key = start_collector(tc, db)
    try:
        env = inherited_collector_env(tc, port, key)
        parent = subprocess.Popen([exe, "orphan", "10"], env=env,
                                  stdout=subprocess.PIPE, text=True)
        child = int(parent.stdout.readline())
        parent.kill()
        parent.wait(timeout=10)
        deadline = time.time() + 20
        while time.time() < deadline and os.path.exists("/proc/%d" % child):
            time.sleep(0.05)
        expect(not os.path.exists("/proc/%d" % child), "the child did not end")
        functions = report_functions(tc, db, "--since", "all")
    finally:
        stop_collector(server)
    expect_one_child_served(functions, 10)


def case_handoff_nofiles(tc, level):
    """A fork child that forbade itself files (RLIMIT_FSIZE 0) still exits
    as it would without CodeNSM, and sends its figures itself: writing them
    to the spool for its parent raised SIGXFSZ, which killed it."""
    exe = tc.program("fork_handoff.c", level)
    db = os.path.join(tc.workdir, "collector.db")
    server, port, key = start_collector(tc, db)
    try:
        result = run(exe, collector_env(tc, port, key), args=["nofiles", "10"])
        expect(result.returncode == 0 and result.stdout == "child status 0\n",
               "nofiles: %r %r %r" % (result.returncode, result.stdout, result.stderr))
        functions = report_functions(tc, db, "--since", "all")
    finally:
        stop_collector(server)
    expect_one_child_served(functions, 10)


def case_spooled_departments(tc, level):
    """A deltas file that names a function as a caller before the
    function's own item (a child's plugin, loaded only there) gives it the
    department and weight of its own item, not none."""
    exe = tc.program("hardend.c", level)
    spool = os.path.join(tc.workdir, "spool-departments")
    sink = os.path.join(tc.workdir, "departments.jsonl")
    if os.path.exists(sink):
        os.unlink(sink)
    env = {"CODENSM_ENDPOINT": "file://" + sink, "CODENSM_SPOOL_DIR": spool}
    os.makedirs(spool, exist_ok=True)
    sink_hash = hashlib.sha256(("file://" + sink + "\n").encode()).hexdigest()
    deltas = {"sink": sink_hash, "endpoint": "file://" + sink, "functions": [
        {"name": "plug.work", "department": "plugins", "value_weight": 7,
         "calls": 3, "errors": 0, "total_ns": 3000,
         "callers": [{"name": "plug.caller", "calls": 3}]},
        {"name": "plug.caller", "department": "plugins", "value_weight": 7,
         "calls": 1, "errors": 0, "total_ns": 5000}]}
    with open(os.path.join(spool, sink_hash[:16] + "-4243-1.json"), "w") as f:
        json.dump(deltas, f)
    result = run(exe, env)
    expect(result.returncode == 0, result.stderr)
    with open(sink) as f:
        rows = [fn for line in f for fn in json.loads(line)["functions"]
                if fn["name"].startswith("plug.")]
    got = {(fn["name"], fn["department"], fn["value_weight"]) for fn in rows}
    expect(got == {("plug.work", "plugins", 7), ("plug.caller", "plugins", 7)},
           "departments: %r" % sorted(got))
    callers = [c for fn in rows if fn["name"] == "plug.work" for c in fn.get("callers", [])]
    expect(callers == [{"name": "plug.caller", "calls": 3}], "callers: %r" % callers)


def case_extensions_spooled(tc, level):
    """What a run could not deliver keeps its callers, root causes and
    timed calls for the next run: before, only its counts waited (in its
    live file), and the rest was lost.  The first run finds the collector
    down (its forked children hand their figures to it all the same); the
    second delivers both runs' figures, exactly."""
    exe = tc.program("fork_handoff.c", level)
    db = os.path.join(tc.workdir, "collector.db")
    key, port = new_key(tc, db), free_port()
    env = collector_env(tc, port, key)
    env["CODENSM_EXIT_TIMEOUT"] = "1"
    result = run(exe, env, args=["3", "10"])
    expect(result.returncode == 0 and result.stdout == "3 children\n",
           "collector down: %r %r" % (result.returncode, result.stderr))
    server, _, _ = start_collector(tc, db, port, key)
    try:
        result = run(exe, env, args=["3", "10"])
        expect(result.returncode == 0, "collector up: %r" % result.stderr)
        functions = report_functions(tc, db, "--since", "all")
    finally:
        stop_collector(server)
    expect_counts(functions, "fork_handoff.step", 2 * 3 * 10, 0)
    expect_counts(functions, "fork_handoff.charge", 2 * 3, 2)
    callers = {c["name"]: c["calls"] for c in functions["fork_handoff.step"]["callers"]}
    expect(callers == {"fork_handoff.serve": 60}, "step's callers: %r" % callers)
    causes = {c["name"]: c["errors"] for c in functions["fork_handoff.charge"]["root_causes"]}
    expect(causes == {"fork_handoff.db_write": 2}, "charge's root causes: %r" % causes)
    hist = functions["fork_handoff.step"]
    expect(hist["p50_ms"] is not None, "step has no timed calls: %r" % hist)


def case_handoff_window(tc, level):
    """A fork child hands its figures over in a spool file that it names in
    its live file before the file takes its name: killed at any moment,
    they are read once.  Here a killed run's live file is made to say so
    (handoff_state 1, naming a file still under its hidden name, as at a
    kill between the two): the next run renames and loads that file, and
    reads nothing of the live file's own figures, which the handed file
    holds.  The file is beside the live file; an earlier runtime wrote it
    in the spool directory, where it is found too."""
    for where in ("live", "spool"):
        handoff_window(tc, level, where)


def handoff_window(tc, level, where):
    exe = tc.program("hardend.c", level)
    spool = os.path.join(tc.workdir, "spool-window-" + where)
    sink = os.path.join(tc.workdir, "window-%s.jsonl" % where)
    for leftover in (sink,):
        if os.path.exists(leftover):
            os.unlink(leftover)
    env = {"CODENSM_ENDPOINT": "file://" + sink, "CODENSM_SPOOL_DIR": spool}
    result = run(exe, env, args=["kill"])
    expect(result.returncode == -signal.SIGKILL, "kill: %r" % result.returncode)
    live = live_dir_of(spool)
    files = [n for n in os.listdir(live) if n.endswith(".live")] if live else []
    expect(len(files) == 1, "live files after the kill: %r" % files)
    path = os.path.join(live, files[0])
    with open(path, "r+b") as f:
        header = bytearray(f.read(4096))
        sink_hash = header[16:88].split(b"\0")[0].decode()
        stem = "%s-4242-1" % sink_hash[:16]
        # struct cnsm_live_header (live_format.h): handoff_state at 128,
        # handoff[64] at 136.
        header[128:136] = (1).to_bytes(8, "little")
        header[136:200] = stem.encode().ljust(64, b"\0")
        f.seek(0)
        f.write(header)
    handed = {"sink": sink_hash, "endpoint": "file://" + sink,
              "functions": [{"name": "hardend.step", "department": "",
                             "value_weight": 0, "calls": 5, "errors": 0,
                             "total_ns": 1000}]}
    with open(os.path.join(live if where == "live" else spool, "." + stem + ".tmp"), "w") as f:
        json.dump(handed, f)
    result = run(exe, env)
    expect(result.returncode == 0, result.stderr)
    sums = totals(sink)
    # The normal run's 400,000 and the handed file's 5; the killed run's
    # own 400,000 are in the handed file (here: 5 of them) and not read.
    expect_counts(sums, "hardend.step", 4 * 100000 + 5, 0)
    left = os.listdir(spool) + (os.listdir(live) if os.path.isdir(live) else [])
    expect(not [n for n in left if n.endswith((".tmp", ".json", ".live"))],
           "left behind: %r" % left)


def case_stale_tmp(tc, level):
    """A spool file is written under a hidden name and renamed once whole;
    a writer killed in between left the hidden file for good.  A run
    removes those of its sink whose writer is gone, once ten minutes old,
    and keeps a young one and one whose writer still runs."""
    exe = tc.program("hardend.c", level)
    spool = os.path.join(tc.workdir, "spool-tmp")
    sink = os.path.join(tc.workdir, "tmp.jsonl")
    os.makedirs(spool, exist_ok=True)
    h16 = hashlib.sha256(("file://" + sink + "\n").encode()).hexdigest()[:16]
    gone = subprocess.Popen(["true"])
    gone.wait()
    names = {"old": ".%s-%d-1.tmp" % (h16, gone.pid),
             "young": ".%s-%d-2.tmp" % (h16, gone.pid),
             "running": ".%s-%d-3.tmp" % (h16, os.getpid())}
    for what, name in names.items():
        path = os.path.join(spool, name)
        with open(path, "w") as f:
            f.write("{")
        if what != "young":
            then = time.time() - 20 * 60
            os.utime(path, (then, then))
    result = run(exe, {"CODENSM_ENDPOINT": "file://" + sink, "CODENSM_SPOOL_DIR": spool})
    expect(result.returncode == 0, result.stderr)
    left = set(os.listdir(spool))
    expect(names["old"] not in left, "a dead writer's old hidden file stayed: %r" % sorted(left))
    expect(names["young"] in left and names["running"] in left,
           "a young or a running writer's hidden file went: %r" % sorted(left))


def deltas_files(spool):
    """The deltas files of spool and of its live directory, where fork
    children hand their figures over (claimed or not)."""
    live = live_dir_of(spool)
    return [n for d in (spool, live) if d and os.path.isdir(d)
            for n in os.listdir(d) if not n.startswith(".") and ".json" in n]


def live_dir_of(spool):
    """The live directory in /dev/shm that names spool as its own, or None."""
    real = os.path.realpath(spool)
    prefix = "codensm-%d-" % os.getuid()
    for name in os.listdir("/dev/shm"):
        link = os.path.join("/dev/shm", name, ".spool")
        if name.startswith(prefix) and os.path.islink(link) \
                and os.readlink(link) == real:
            return os.path.join("/dev/shm", name)
    return None


def case_orphans(tc, level):
    """A killed run leaves its live file in /dev/shm for the next run of
    its spool directory; once that spool directory is gone, no run will
    take it over, and a run of any other spool removes it (files of dead
    processes, and fork children's handed files, older than ten minutes,
    then the directory).  Before, they
    stayed until the machine restarted (360 MB after a round of trials).
    A gone spool's file younger than that, and an old one whose spool is
    there, stay; a run that delivered everything removes its directory."""
    exe = tc.program("hardend.c", level)
    spools = {k: os.path.join(tc.workdir, "spool-" + k) for k in ("old", "young", "kept", "other")}
    env = lambda k: {"CODENSM_ENDPOINT": "file://" + os.path.join(tc.workdir, k + ".jsonl"),
                     "CODENSM_SPOOL_DIR": spools[k]}
    dirs = {}
    try:
        for k in ("old", "young", "kept"):
            result = run(exe, env(k), args=["kill"])
            expect(result.returncode == -signal.SIGKILL, "kill: %r" % result.returncode)
            dirs[k] = live_dir_of(spools[k])
            expect(dirs[k] and any(n.endswith(".live") for n in os.listdir(dirs[k])),
                   "no live file of spool %s in /dev/shm: %r" % (k, dirs[k]))
        # A fork child's handed file, and one its parent had claimed,
        # left by a run killed before it loaded them.
        for name in ("0123456789abcdef-4242-1.json",
                     "0123456789abcdef-4242-2.json.claimed-4243"):
            with open(os.path.join(dirs["old"], name), "w") as f:
                f.write("{}")
        two_hours_ago = time.time() - 7200
        for k in ("old", "kept"):
            for n in os.listdir(dirs[k]):
                if n.endswith((".live", ".json", ".json.claimed-4243")):
                    os.utime(os.path.join(dirs[k], n), (two_hours_ago, two_hours_ago))
        shutil.rmtree(spools["old"])
        shutil.rmtree(spools["young"])
        result = run(exe, env("other"))
        expect(result.returncode == 0, result.stderr)
        expect(not os.path.exists(dirs["old"]),
               "the gone spool's live directory %s stayed" % dirs["old"])
        expect(any(n.endswith(".live") for n in os.listdir(dirs["young"])),
               "a gone spool's young live file was removed")
        expect(any(n.endswith(".live") for n in os.listdir(dirs["kept"])),
               "an old live file of a spool that is there was removed")
        # A run that delivered everything leaves no live directory, its
        # link to its spool included (every spool ever used kept one).
        expect(live_dir_of(spools["other"]) is None,
               "a delivered run's live directory stayed: %r" % live_dir_of(spools["other"]))
        result = run(exe, env("kept"))
        expect(result.returncode == 0, result.stderr)
        expect(live_dir_of(spools["kept"]) is None,
               "the live directory stayed once its files were taken over: %r"
               % live_dir_of(spools["kept"]))
    finally:
        for k in ("young", "kept", "other", "old"):
            d = live_dir_of(spools[k]) or dirs.get(k)
            if d:
                shutil.rmtree(d, ignore_errors=True)


def case_static_init(tc, level):
    """A call before its unit's constructor registered the unit (a C++
    static initialiser's), then main's, then _exit(): the next run takes the
    live file over and delivers all of it.  The early call registered the
    unit without opening the live file, so the thread's counters were
    allocated in anonymous memory and stayed there: every count of the run
    was lost (every KJ_MAIN program: capnproto trial, round twenty-five)."""
    exe = tc.program("static_init.c", level)
    sink = os.path.join(tc.workdir, "static_init.jsonl")
    if os.path.exists(sink):
        os.unlink(sink)
    env = {"CODENSM_ENDPOINT": "file://" + sink,
           "CODENSM_SPOOL_DIR": os.path.join(tc.workdir, "spool-static-init")}
    first = run(exe, env)
    expect(first.returncode == 0 and first.stdout == "sum=1999004\n",
           "%d %r" % (first.returncode, first.stdout))
    run(exe, env, args=["exit"])
    sums = totals(sink)
    expect_counts(sums, "static_init.helper", 2 * 1001, 0)
    expect_counts(sums, "static_init.work", 2 * 1000, 0)
    expect_counts(sums, "static_init.main", 2, 0)


def case_sandboxed(tc, level):
    """A program that confines itself with a seccomp filter (OpenSSH's
    privilege-separated child: a file size limit of 0, then a filter that
    kills at any call it does not name) runs as the plain build does: a
    forked child confined by prctl or by the seccomp system call, and the
    process itself, whose flusher thread must be gone before the filter
    binds its own thread.  The runtime makes no call of its own once
    confined; the confined processes' counts reach the sink through their
    live files, which the next processes take over, exactly once.  Before
    round twenty-five the child was killed (SIGSYS: the exit flush's
    readlink; libcurl's socketpair over http) and the flusher ran outside
    the filter."""
    src = os.path.join(PROGRAMS, "sandboxed.c")
    exe = tc.program("sandboxed.c", level)
    plain = tc.compile([src], os.path.join(tc.workdir, "sandboxed.plain"),
                       OPT_LEVELS[level], instrument=False)
    sink = os.path.join(tc.workdir, "sandboxed.jsonl")
    if os.path.exists(sink):
        os.unlink(sink)
    env = {"CODENSM_ENDPOINT": "file://" + sink,
           "CODENSM_SPOOL_DIR": os.path.join(tc.workdir, "spool-sandboxed")}
    # Asking whether seccomp is there, and a filter that fails to be set,
    # confine nothing: the process sends its own counts at its exit (a
    # seal on any such call sent nothing until a next process ran).
    expected = run(plain, args=["probes"])
    got = run(exe, env, args=["probes"])
    expect_same_behaviour(expected, got)
    expect("probes=-1,-1,-1\n" in got.stdout, got.stdout)
    sums = totals(sink)
    expect_counts(sums, "sandboxed.more_work", 100, 0)
    # A fork that fails (every clone refused by an inherited filter, as
    # under RLIMIT_NPROC) returns at once: the parent's wait for the
    # child's copy of the live file ends with no child (it took 2 s).
    noclone = tc.compile([os.path.join(PROGRAMS, "noclone.c")],
                         os.path.join(tc.workdir, "noclone"), OPT_LEVELS[level],
                         instrument=False)
    expected = run(noclone, args=[plain, "forkfail"])
    got = run(noclone, env, args=[exe, "forkfail"])
    expect_same_behaviour(expected, got)
    expect(got.stdout.count("fork failed at once") == 3, got.stdout)
    for mode in ("prctl", "syscall", "self", "none"):
        expected = run(plain, args=[mode])
        got = run(exe, env, args=[mode])
        expect_same_behaviour(expected, got)
        if mode != "none":
            expect("sum=" in got.stdout, "%s: %r" % (mode, got.stdout))
    self_run = run(exe, env, args=["self"])
    expect("threads before=2\n" in self_run.stderr,
           "no flusher thread to stop: %r" % self_run.stderr)
    expect("threads after=1\n" in self_run.stdout,
           "the flusher thread outlived the filter: %r" % self_run.stdout)
    run(exe, env, args=["none"])
    sums = totals(sink)
    # Each fork run: the parent's work(1000), the child's work(10) and the
    # 100 of more_work; self: its own and the 100; none: its own.  Twice
    # self, twice none.
    # And the probes' run: its own 101 and 100; the forkfail run: 1.
    expect_counts(sums, "sandboxed.work", 2 * 102 + 2 * 101 + 2 * 1 + 101 + 1, 0)
    expect_counts(sums, "sandboxed.more_work", 5 * 100, 0)


def case_inlined(tc, level):
    """A static helper inlined at -O2 counts every one of its calls."""
    exe = tc.program("inlined.c", level)
    if level != "O0":
        symbols = subprocess.run(["nm", exe], capture_output=True, text=True).stdout
        expect(" square" not in symbols, "square was not inlined: the test proves nothing")
    instrumented, sums = run_counted(tc, exe, "inlined")
    expect(instrumented.stdout == "332833500\n", "output %r" % instrumented.stdout)
    expect_counts(sums, "inlined.square", 1000, 0)
    expect_counts(sums, "inlined.main", 1, 0)


def case_signals(tc, level):
    """A signal handler calling the function the interrupted loop counts:
    every call is counted, none lost to the interruption."""
    exe = tc.program("signals.c", level)
    instrumented, sums = run_counted(tc, exe, "signals")
    expect(instrumented.returncode == 0, instrumented.stderr)
    handled = int(instrumented.stdout.strip().split("=")[1])
    expect(handled > 100, "only %d signals arrived: the test proves nothing" % handled)
    expect_counts(sums, "signals.tick", 20000000 + handled, 0)
    expect_counts(sums, "signals.on_alarm", handled, 0)


def case_selection(tc, level):
    """Exactly the team's functions, by readable names: no std code even
    where a lambda or an anonymous-namespace type makes its instances
    internal; a user template with std arguments counted; the header's
    static inline helper one row for the two TUs that call it (-g says where
    it is defined); lambdas named {lambda(...)#n}."""
    project = os.path.join(tc.workdir, "project")
    shutil.copytree(os.path.join(PROGRAMS, "selection"), project)
    sources = ["main.cpp", "other.cpp"]
    flags = OPT_LEVELS[level] + ["-g", "-std=c++17"]
    plain = run(tc.compile(sources, os.path.join(tc.workdir, "selection.plain"), flags,
                           instrument=False, cxx=True, cwd=project))
    exe = tc.compile(sources, os.path.join(tc.workdir, "selection"), flags, cxx=True,
                     cwd=project)
    instrumented, sums = run_counted(tc, exe, "selection")
    expect_same_behaviour(plain, instrumented)
    expect(instrumented.stdout.startswith(
        "big=3 sum=15 distinct=3 sizes=" + str(3 * (4 + 3)) + " scores="),
        "output %r" % instrumented.stdout)
    comparisons = int(instrumented.stdout.split("comparisons=")[1])
    expect(comparisons > 0, "Key::operator< never ran: the test proves nothing")

    # The std::string argument spells "> >" in LLVM 14's demangler, ">>" later.
    templates = [n for n in sums if n.startswith("app::sum_sizes<int, std::")]
    expect(len(templates) == 1, "app::sum_sizes<int, std::string> not one row: %r"
           % sorted(sums))
    expected = {
        "main.main": 1,
        "main.app::count_big": 1,
        "main.app::count_big(...)::$_0::operator()": 5,
        "app::total": 1,
        "app::total(...)::{lambda(int)#1}::operator()": 5,
        "main.app::remember": 6,
        "main.app::(anonymous namespace)::Key::operator<": comparisons,
        templates[0]: 3,
        "helpers.clamp_score": 4 + 3,
        "other.score_other": 3,
    }
    expect(sorted(sums) == sorted(expected),
           "names reported:\n  %s\nexpected:\n  %s"
           % ("\n  ".join(sorted(sums)), "\n  ".join(sorted(expected))))
    for name, calls in expected.items():
        expect_counts(sums, name, calls, 0)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_collector(tc, db, port=None, key=None):
    """A real collector on a loopback port (a free one unless given), with
    a key of its own unless given; (process, port, key)."""
    expect(tc.collector, "--collector is required for this case")
    key = key or new_key(tc, db)
    port = port or free_port()
    server = subprocess.Popen([tc.collector, "serve", "--listen", "127.0.0.1:%d" % port,
                               "--db", db], stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    return server, port, key


def stop_collector(server):
    """Stops a collector start_collector started; its log (stderr)."""
    server.send_signal(signal.SIGTERM)
    _, log = server.communicate(timeout=10)
    return log


def new_key(tc, db):
    """A new ingest key of project e2e in the store db."""
    return subprocess.run([tc.collector, "key", "create", "e2e", "--db", db],
                          capture_output=True, text=True, check=True).stdout.strip()


def report_functions(tc, db, *args):
    """{name: function} of `report --json`, with report's extra args."""
    report = subprocess.run([tc.collector, "report", "--db", db, "--json"] + list(args),
                            capture_output=True, text=True, check=True).stdout
    functions = {}
    for project in json.loads(report)["projects"]:
        for fn in project["functions"]:
            functions[fn["name"]] = fn
    return functions


def collector_env(tc, port, key):
    """What a program needs to send to the collector on port with key."""
    return {"CODENSM_ENDPOINT": "http://127.0.0.1:%d/codensm/ingest" % port,
            "CODENSM_API_KEY": key, "CODENSM_SPOOL_DIR": os.path.join(tc.workdir, "spool")}


def inherited_collector_env(tc, port, key):
    """This process's environment without its CODENSM_ settings, and
    collector_env's: for a program started with Popen, which inherits."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CODENSM_")}
    env.update(collector_env(tc, port, key))
    return env


def case_collector(tc, level):
    """The whole chain: an instrumented program sends to the real collector
    over HTTP on 127.0.0.1, and the collector's report has the exact counts."""
    db = os.path.join(tc.workdir, "collector.db")
    server, port, key = start_collector(tc, db)
    try:
        exe = tc.program("throws.cpp", level)
        env = collector_env(tc, port, key)
        for _ in range(2):  # two runs: the collector adds them up
            result = run(exe, env)
            expect(result.returncode == 0, result.stderr)
        functions = report_functions(tc, db)
        expect_counts(functions, "throws.risky", 40, 12)
        expect_counts(functions, "throws.viaOther", 20, 6)
    finally:
        stop_collector(server)


def line_of(path, text):
    """The 1-based line of path that starts with text."""
    with open(path) as f:
        for number, line in enumerate(f, 1):
            if line.startswith(text):
                return number
    raise Failure("no line starts with %r in %s" % (text, path))


def expect_near(what, got, want, tolerance=0.15):
    expect_timing(got is not None and abs(got - want) <= tolerance * want,
                  "%s: %r, expected %r within %d%%" % (what, got, want, tolerance * 100))


def flushed_functions(stderr):
    """How many functions the runtime's acknowledged flushes carried
    (CODENSM_DEBUG's "flush of N functions to ...: acknowledged")."""
    return sum(int(n) for n in re.findall(r"flush of (\d+) functions to \S+: acknowledged",
                                          stderr))


class PlainReceiver(http.server.ThreadingHTTPServer):
    """A receiver that speaks the ingest contract and nothing more: it
    refuses a body with any extension field (400), stores the rest, and
    never asks for extensions.  bodies: what it received, in order."""

    def __init__(self, port):
        self.bodies = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(handler):
                body = handler.rfile.read(int(handler.headers["Content-Length"]))
                functions = json.loads(body)["functions"]
                extended = any(set(fn) - {"name", "department", "value_weight",
                                          "calls", "errors", "total_ms"}
                               for fn in functions)
                self.bodies.append((extended, functions))
                handler.send_response(400 if extended else 200)
                handler.send_header("Content-Type", "application/json")
                handler.end_headers()
                handler.wfile.write(b'{"error":"unknown field"}' if extended
                                    else b'{"accepted":1}')

            def log_message(handler, *args):
                pass

        super().__init__(("127.0.0.1", port), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


def case_remembered_extensions(tc, level):
    """A short process sends its extensions in its one request: the first
    run learns from the collector's answers what it asks for and sends it
    in a second request; the next run, with the same endpoint, key and
    spool, remembers it (known.c) and sends one request, whose histogram
    arrives.  Before, every process made two requests at exit.  When the
    receiver at that endpoint no longer takes them (a plain receiver that
    refuses any extension field), the refused body is sent again without
    them, nothing is dropped, and the run after that sends plain bodies
    only."""
    src = os.path.join(tc.workdir, "remembered.c")
    with open(src, "w") as f:
        f.write("__attribute__((noinline)) int spin(int x) {\n"
                "  volatile int v = x;\n"
                "  for (int i = 0; i < 20000; i++) v = v * 3 + 1;\n"
                "  return v;\n}\n"
                "int main(void) {\n  int s = 0;\n"
                "  for (int i = 0; i < 20; i++) s += spin(i);\n"
                "  return s == 7;\n}\n")
    exe = tc.compile([src], os.path.join(tc.workdir, "remembered"), OPT_LEVELS[level])
    db = os.path.join(tc.workdir, "collector.db")
    server, port, key = start_collector(tc, db)
    env = collector_env(tc, port, key)
    log = ""
    try:
        for run_index in range(2):
            result = run(exe, env)
            expect(result.returncode == 0, result.stderr)
            if run_index == 0:
                first = report_functions(tc, db)["remembered.spin"]
                expect(first["p50_ms"] is not None, "the first run's histogram: %r" % first)
    finally:
        log = stop_collector(server)
    requests = [line for line in log.splitlines() if line.startswith("POST ")]
    expect(len(requests) == 3 and all(line.split()[2] == "200" for line in requests),
           "two runs made %d requests, expected 2 then 1: %r" % (len(requests), requests))
    functions = report_functions(tc, db)
    expect_counts(functions, "remembered.spin", 40, 0)
    # That one request carries the extensions: the plain receiver sees them.
    plain = PlainReceiver(port)
    try:
        result = run(exe, env)
        expect(result.returncode == 0 and "refused" not in result.stderr,
               "to a plain receiver: %r %r" % (result.returncode, result.stderr))
        expect(plain.bodies and plain.bodies[0][0],
               "the first body did not carry the remembered extensions: %r" % plain.bodies)
        stored = [fns for extended, fns in plain.bodies if not extended]
        spin = sum(fn["calls"] for fns in stored for fn in fns if fn["name"] == "remembered.spin")
        expect(spin == 20, "the plain receiver stored %d calls of spin, expected 20: %r"
               % (spin, plain.bodies))
        plain.bodies.clear()
        result = run(exe, env)
        expect(result.returncode == 0 and plain.bodies
               and not any(extended for extended, _ in plain.bodies),
               "after a plain answer, extensions were still sent: %r" % plain.bodies)
    finally:
        plain.shutdown()
        plain.server_close()


def case_announced(tc, level):
    """A receiver hears of a function once, not once per process: the
    first run of a 2,000-function program announces every function (and
    its file and line); a second run with the same endpoint and key sends
    only the functions it called, and the report still lists every
    function with its source.  Another key (another project) hears it
    all; a changed department is announced again; a memory begun more
    than a day ago, or one that is not a regular file, counts for
    nothing."""
    count = 2000
    src = os.path.join(tc.workdir, "announced.c")
    with open(src, "w") as f:
        for i in range(count):
            f.write("int f%d(int x) { return x * %d + 1; }\n" % (i, i))
        f.write("int main(int argc, char **argv) {\n"
                "  (void)argv;\n  return (f1(argc) + f2(argc)) == 3 * argc + 2 ? 0 : 1;\n}\n")
    # The plugin alone knows a function's file from debug information.
    source = [] if tc.gcc else ["-gline-tables-only"]
    exe = tc.compile([src], os.path.join(tc.workdir, "announced"),
                     OPT_LEVELS[level] + source)
    db = os.path.join(tc.workdir, "collector.db")
    server, port, key_a = start_collector(tc, db)
    key_b = subprocess.run([tc.collector, "key", "create", "other", "--db", db],
                           capture_output=True, text=True, check=True).stdout.strip()
    spool = os.path.join(tc.workdir, "spool")
    try:
        def flushed(key, extra=None):
            env = collector_env(tc, port, key)
            env["CODENSM_DEBUG"] = "1"
            env.update(extra or {})
            result = run(exe, env)
            expect(result.returncode == 0, result.stderr)
            return flushed_functions(result.stderr)

        def project(name):
            report = subprocess.run([tc.collector, "report", "--db", db, "--json",
                                     "--since", "all", "--project", name],
                                    capture_output=True, text=True, check=True).stdout
            return {fn["name"]: fn for fn in json.loads(report)["projects"][0]["functions"]}

        first = flushed(key_a)
        expect(first >= count + 1, "the first run sent %d functions, not all %d"
               % (first, count + 1))
        second = flushed(key_a)
        expect(0 < second <= 10, "the second run sent %d functions: announced again" % second)
        a = project("e2e")
        expect(len(a) == count + 1, "the report lists %d functions, not %d" % (len(a), count + 1))
        expect_counts(a, "announced.f1", 2)
        expect_counts(a, "announced.f1999", 0)
        expect(a["announced.f1999"].get("file") == "announced.c"
               and a["announced.f1999"].get("line") == count,
               "a function never called lost its source: %r" % a["announced.f1999"])

        other = flushed(key_b)
        expect(other >= count + 1, "another key's first run sent %d functions" % other)
        expect(len(project("other")) == count + 1, "the other project misses functions")

        moved = {"CODENSM_DEPARTMENTS": "announced.f19=search"}
        # f19, f190..f199 and f1900..f1999: 111 functions change department.
        changed = flushed(key_a, moved)
        expect(111 <= changed <= 121,
               "a changed department sent %d functions, expected 111 and the called"
               % changed)
        expect(project("e2e")["announced.f1999"]["department"] == "search",
               "the new department was not announced")

        known = [os.path.join(spool, n) for n in os.listdir(spool) if n.endswith(".known")]
        expect(len(known) == 2, "one memory per endpoint and key expected: %r" % known)
        for path in known:
            with open(path, "r+b") as f:  # begun two days ago
                f.seek(8)
                f.write(int(time.time() - 2 * 86400).to_bytes(8, "little"))
        aged = flushed(key_a, moved)
        expect(aged >= count + 1, "a memory two days old still counted: %d sent" % aged)
        expect(flushed(key_a, moved) <= 10, "the renewed memory was not used")

        for path in known:
            os.unlink(path)
            os.mkfifo(path)  # read, it would hang a run that trusted it
        fifo = flushed(key_b)
        expect(fifo >= count + 1, "a FIFO taken for a memory: %d sent" % fifo)
    finally:
        stop_collector(server)


def case_latency(tc, level):
    """Percentiles, inclusive and self time, callers and source locations
    through the real collector: a function whose calls take 20 us nine
    times in ten and 200 us the tenth has p50 20 us and p95 = p99 = 200 us
    (within 15%), the sum of its calls as total time (within the sampling
    error); a function that spins 50 us and calls one that spins 100 us
    takes 150 us a call, 50 us of it its own, and is its callee's only
    caller, 100 calls exactly; each has its file and the
    line of its definition (-g); a function whose first call alone is slow
    reports that call's time, under its caller's.  The same figures arrive whether or not
    the collector already asked for the extensions (the first run's
    process learns it from its own first answer)."""
    db = os.path.join(tc.workdir, "collector.db")
    server, port, key = start_collector(tc, db)
    try:
        src = os.path.join(PROGRAMS, "latency.c")
        exe = tc.compile([src], os.path.join(tc.workdir, "latency"),
                         OPT_LEVELS[level] + ["-g"])
        result = run(exe, collector_env(tc, port, key))
        took = dict(kv.split("=") for kv in result.stdout.split())
        expect(result.returncode == 0 and set(took) == {"pattern_ms", "outer_ms"},
               result.stdout + result.stderr)
        functions = report_functions(tc, db, "--since", "all")
        expect_counts(functions, "latency.pattern", 10000, 0)
        pattern = functions["latency.pattern"]
        expect_near("pattern p50", pattern["p50_ms"], 0.020)
        expect_near("pattern p95", pattern["p95_ms"], 0.200)
        expect_near("pattern p99", pattern["p99_ms"], 0.200)
        # Its total is what the loop took (less the loop's few
        # instructions), within the sampling error: a 20 us call is timed
        # about one time in 8, so some 1,250 of them and 125 of the 200 us
        # ones stand for all (standard error about 8 %).
        expect_near("pattern total", pattern["total_ms"], float(took["pattern_ms"]), 0.25)
        outer = functions["latency.outer"]
        expect_counts(functions, "latency.outer", 100, 0)
        expect_near("outer total", outer["total_ms"], float(took["outer_ms"]))
        expect_near("outer p50", outer["p50_ms"], 0.150)
        expect_near("inner p50", functions["latency.inner"]["p50_ms"], 0.100)
        # Callers, exactly, and self time: outer's 150 us less inner's
        # 100 us, which only outer calls.
        inner = functions["latency.inner"]
        expect(inner["callers"] == [{"name": "latency.outer", "calls": 100}]
               and outer["callers"] == [{"name": "latency.main", "calls": 100}],
               "callers: inner %r, outer %r" % (inner["callers"], outer["callers"]))
        expect_near("outer self", outer["self_ms"], outer["total_ms"] - inner["total_ms"], 0.01)
        # A third of it (loosely: a preempted spin lengthens one part).
        expect_near("outer self share", outer["self_ms"], outer["total_ms"] / 3, 0.35)
        expect_near("inner self", inner["self_ms"], inner["total_ms"], 0.01)
        # A caller's time covers its callee's: the clock read around the
        # body alone (not inside the runtime's calls: the probe correction
        # then missed most of the timing's own cost) keeps a tiny callee
        # from looking longer than the function that calls it 100 times.
        # Medians, because a timed call an interrupt lands in counts as
        # many calls as it stands for, in the mean (docs/runtime.md).
        many, tiny = functions["latency.many"], functions["latency.tiny"]
        expect_counts(functions, "latency.tiny", 200000, 0)
        expect_timing(tiny["p50_ms"] is not None and many["p50_ms"] is not None
                      and 100 * tiny["p50_ms"] <= many["p50_ms"],
                      "100 x tiny p50 %r ms > many p50 %r ms"
                      % (tiny["p50_ms"], many["p50_ms"]))
        # A slow first call stands for itself: timed at period 1, it is
        # certain, and the ratio covers only the other calls (runtime/
        # clock.c).  Over all calls alike it stood for up to all ten.
        cold, warm = functions["latency.cold"], functions["latency.warm"]
        expect_counts(functions, "latency.cold", 10, 0)
        expect_timing(0.25 <= cold["total_ms"] <= warm["total_ms"] <= 0.5,
                      "cold %r ms, warm %r ms: want 0.25 <= cold <= warm <= 0.5"
                      % (cold["total_ms"], warm["total_ms"]))
        for name, text in [("latency.pattern", "__attribute__((noinline)) void pattern"),
                           ("latency.outer", "__attribute__((noinline)) void outer"),
                           ("latency.inner", "__attribute__((noinline)) void inner")]:
            fn = functions[name]
            expect(fn["file"] is not None and fn["file"].endswith("latency.c")
                   and fn["line"] == line_of(src, text),
                   "%s: file %r line %r" % (name, fn["file"], fn["line"]))
    finally:
        stop_collector(server)


def case_causes(tc, level):
    """Root causes, three levels deep, through the real collector: of 10
    api_checkout errors in causes.c, 3 come from db_write (through charge)
    and 2 from charge itself; an error that was handled before the call
    (audit) is never a cause; the same with C++ exceptions unwinding
    through load -> parse -> read_block (causes_throw.cpp), where an
    exception caught inside load before parse is not load's cause."""
    db = os.path.join(tc.workdir, "collector.db")
    server, port, key = start_collector(tc, db)
    try:
        for program, out in [("causes.c", "failed=5\n"), ("causes_throw.cpp", "failed=3\n")]:
            result = run(tc.program(program, level), collector_env(tc, port, key))
            expect(result.returncode == 0 and result.stdout == out,
                   program + ": " + result.stdout + result.stderr)
        functions = report_functions(tc, db, "--since", "all")

        def causes(name):
            return {c["name"]: c["errors"] for c in functions[name]["root_causes"]}
        expected = {
            "causes.api_checkout": (10, 5, {"causes.db_write": 3, "causes.charge": 2}),
            "causes.charge": (10, 5, {"causes.db_write": 3, "causes.charge": 2}),
            "causes.db_write": (8, 3, {"causes.db_write": 3}),
            "causes.audit": (10, 10, {"causes.audit": 10}),
            "causes.main": (1, 0, {}),
            "causes_throw.load": (6, 3, {"causes_throw.read_block": 2, "causes_throw.parse": 1}),
            "causes_throw.parse": (6, 3, {"causes_throw.read_block": 2, "causes_throw.parse": 1}),
            "causes_throw.read_block": (5, 2, {"causes_throw.read_block": 2}),
            "causes_throw.probe": (6, 6, {"causes_throw.probe": 6}),
        }
        for name, (calls, errors, roots) in expected.items():
            expect_counts(functions, name, calls, errors)
            expect(causes(name) == roots, "%s: root causes %r, expected %r"
                   % (name, causes(name), roots))
    finally:
        stop_collector(server)


def case_callers(tc, level):
    """Each function's instrumented callers with exact calls (callers.c
    and callers_lib.c, two units): a callee in the same unit and one in
    the other; calls through a pointer are nobody's; a recursive function
    is its own caller; a static function called from one function only
    has that caller for every call.  The edges with no counter of their
    own (only's, helper's from pair, after_bail's) come out exact, also
    after_bail's, whose caller longjmps out before the call half the
    time."""
    srcs = [os.path.join(PROGRAMS, "callers.c"), os.path.join(PROGRAMS, "callers_lib.c")]
    exe = tc.compile(srcs, os.path.join(tc.workdir, "callers"), OPT_LEVELS[level])
    result, sums = run_counted(tc, exe, "callers")
    expect(result.returncode == 0 and result.stdout == "697\n", result.stdout + result.stderr)
    expected = {
        "callers.top": (10, {"callers.main": 10}),
        "callers.mid": (20, {"callers.top": 20}),
        "callers.only": (10, {"callers.top": 10}),
        "callers.leaf": (35, {"callers.mid": 20, "callers.top": 10}),
        "callers_lib.lib_work": (21, {"callers.mid": 20, "callers.main": 1}),
        "callers.walk": (5, {"callers.main": 1, "callers.walk": 4}),
        "callers.main": (1, {}),
        "callers.helper": (11, {"callers.pair": 8, "callers.single": 3}),
        "callers.bail": (6, {"callers.guarded": 6}),
        "callers.after_bail": (3, {"callers.guarded": 3}),
    }
    for name, (calls, callers) in expected.items():
        expect_counts(sums, name, calls)
        got = sums[name].get("callers", {})
        expect(got == callers, "%s: callers %r, expected %r" % (name, got, callers))


def case_aliases(tc, level):
    """Destructors clang makes aliases of their base's from -O1 up
    (aliases.cpp): each counts its own calls, and its base's counts them
    too, with the same callers, at every level as at -O0.  A delete
    through a vtable runs the deleting destructor, a function of its own
    in clang's IR sharing the destructor's row, which calls the complete
    destructor: counted once, as GCC's rewriter counts the body the source
    has (it counted twice in clang's row before); so is a destructor of a
    class with a virtual base, whose complete variant calls the base-object
    one.
    The constructor aliased within its class counts once; the alias the
    user wrote (api) counts in its target (impl).  A constructor's weight
    and a destructor's department, annotated, hold (clang's code generation
    drops their annotations; the front end hands them to the pass)."""
    srcs = [os.path.join(PROGRAMS, "aliases.cpp"),
            os.path.join(PROGRAMS, "aliases_remote.cpp")]
    flags = OPT_LEVELS[level]
    plain = run(tc.compile(srcs, os.path.join(tc.workdir, "aliases.plain"), flags,
                           instrument=False, cxx=True))
    # The front end, as codensm-clang loads it: it hands the pass the
    # annotations code generation drops.  A build without clang's
    # development files (LLVM 19's in CI) has none: annotations on
    # structors are then documented as lost, and not checked.
    front_end_so = None if tc.gcc else os.path.join(os.path.dirname(tc.plugin),
                                                     "CodeNSMFrontend.so")
    has_front_end = front_end_so is not None and os.path.exists(front_end_so)
    front_end = ["-fplugin=" + front_end_so] if has_front_end else []
    # As the wrappers, target_codensm() and pkg-config build: without
    # clang's constructor aliases, empty inline destructors stay functions.
    no_aliases = [] if tc.gcc else ["-Xclang", "-mno-constructor-aliases"]
    exe = tc.compile(srcs, os.path.join(tc.workdir, "aliases"),
                     flags + front_end + no_aliases, cxx=True)
    instrumented, sums = run_counted(tc, exe, "aliases")
    expect_same_behaviour(plain, instrumented)
    expect(instrumented.returncode == 0, "exit code %d" % instrumented.returncode)
    expected = {
        "aliases.Base::~Base": 7 + 4 + 4 + 3 + 4,
        "aliases.Derived::~Derived": 3 + 2 + 1 + 1,
        "aliases.Derived2::~Derived2": 2 + 1,
        "aliases.Shared::~Shared": 3 + 1,
        "aliases.Diamond::~Diamond": 3 + 1,
        "aliases.FromRemote::~FromRemote": 4,
        "aliases_remote.Remote::~Remote": 4,
        "aliases.Point::Point": 5,
        "aliases.impl": 10,
        "aliases.destroy": 2 + 3,
        "aliases.main": 1,
        "InClass::~InClass": 3 + 1,  # inline: no module (one row across units)
        "aliases.(anonymous namespace)::Hidden::~Hidden": 3 + 1,
    }
    # Members the source writes no body for: the plugin counts what clang
    # emits; codensm-g++ can place no probe (docs/instrumentation.md).
    compilers_members = {"Defaulted::~Defaulted": 3 + 1, "Implicit::~Implicit": 3}
    if tc.gcc:
        for name in compilers_members:
            expect(name not in sums, "%s has a row through GCC" % name)
    else:
        expected.update(compilers_members)
    for name, calls in expected.items():
        expect_counts(sums, name, calls, 0)
    expect("aliases.api" not in sums, "the user's alias has a row: %r" % sums.get("aliases.api"))
    annotated = (("aliases.Point::Point", "value_weight", 3),
                 ("aliases.Shared::~Shared", "department", "teardown"))
    for name, field, value in annotated if tc.gcc or has_front_end else ():
        expect(sums[name][field] == value,
               "%s: %s %r, expected %r" % (name, field, sums[name][field], value))
    if tc.gcc:  # the rewriter sees no call of a base's destructor: no caller
        return
    base_callers = {"aliases.Derived::~Derived": 7, "InClass::~InClass": 4,
                    "aliases.(anonymous namespace)::Hidden::~Hidden": 4,
                    "Defaulted::~Defaulted": 4, "Implicit::~Implicit": 3}
    for name, callers in (("aliases.Base::~Base", base_callers),
                          ("aliases.Derived::~Derived", {"aliases.Derived2::~Derived2": 3})):
        got = sums[name].get("callers", {})
        expect(got == callers, "%s: callers %r, expected %r" % (name, got, callers))


def case_probe(tc, level):
    """A probe with a lifespan: `codensm-collector probe e2e probe.tiny
    --every-call --for 3s`; a process that flushes learns it from the
    answer and times every later call of tiny (its histogram, in which
    each timed call weighs the calls it stands for, adds up to its 50,001
    calls exactly, all weighing 1); once the probe has expired by itself,
    a new process is back to sampling (it does not add up to them)."""
    import sqlite3
    db = os.path.join(tc.workdir, "collector.db")
    server, port, key = start_collector(tc, db)
    try:
        exe = tc.program("probe.c", level)
        probe = subprocess.run([tc.collector, "probe", "e2e", "probe.tiny", "--every-call",
                                "--for", "3s", "--db", db],
                               capture_output=True, text=True, timeout=30)
        expect(probe.returncode == 0, "probe: " + probe.stdout + probe.stderr)
        started = time.time()
        env = dict(collector_env(tc, port, key), CODENSM_DEBUG="1")
        during = run(exe, dict(env, CODENSM_VERSION="during"))
        expect(during.returncode == 0 and during.stdout == "done\n", during.stderr)
        expect(time.time() - started < 3, "the first run outlived the probe: too slow a machine")
        expect("probe of probe.tiny: every call timed" in during.stderr,
               "the runtime did not take the probe:\n" + during.stderr)
        time.sleep(max(0.0, started + 3.5 - time.time()))
        after = run(exe, dict(env, CODENSM_VERSION="after"))
        expect(after.returncode == 0 and "probe of" not in after.stderr, after.stderr)

        def hist_calls(version):
            with sqlite3.connect(db) as conn:
                return conn.execute("SELECT SUM(calls) FROM hist WHERE name = 'probe.tiny'"
                                    " AND version = ?", (version,)).fetchone()[0]
        functions = report_functions(tc, db, "--since", "all")
        expect_counts(functions, "probe.tiny", 2 * 50001, 0)
        expect(hist_calls("during") == 50001, "probed: hist adds up to %r, not 50001"
               % hist_calls("during"))
        expect(hist_calls("after") not in (None, 50001),
               "after the probe: hist adds up to %r" % hist_calls("after"))
    finally:
        stop_collector(server)


def case_recursion(tc, level):
    """A 10,000-deep recursion through the real collector: walk's total
    counts its 1,000 outermost frames only, what they took on the wall clock
    (within 15%), below main's; its percentiles are its outermost calls';
    it is its own caller 10,000,000 times and main's 1,000; its self time is
    its total (it calls nothing else).  A function reentered through a
    pointer while its first call is timed: that call's time, once; and one
    whose inner frames, entered through a pointer inside its timed first
    call, take most of that call's time: that call's time, once."""
    db = os.path.join(tc.workdir, "collector.db")
    server, port, key = start_collector(tc, db)
    try:
        result = run(tc.program("recursion.c", level), collector_env(tc, port, key))
        took = dict(kv.split("=") for kv in result.stdout.split())
        expect(result.returncode == 0 and took.get("sum") == str(1000 * 50005000 % 2**32),
               result.stdout + result.stderr)
        functions = report_functions(tc, db, "--since", "all")
        expect_counts(functions, "recursion.walk", 1000 * 10001, 0)
        walk, main = functions["recursion.walk"], functions["recursion.main"]
        walk_ms = float(took["walk_ms"])
        expect_near("walk total", walk["total_ms"], walk_ms)
        expect_timing(walk["total_ms"] <= main["total_ms"],
                      "walk %r ms > main %r ms" % (walk["total_ms"], main["total_ms"]))
        expect_near("walk p50", walk["p50_ms"], float(took["walk_median_ms"]), 0.5)
        callers = {c["name"]: c["calls"] for c in walk["callers"]}
        expect(callers == {"recursion.walk": 10000000, "recursion.main": 1000},
               "callers %r" % callers)
        expect_near("walk self", walk["self_ms"], walk["total_ms"], 0.01)
        # Reentered through a pointer: the outer call weighs the period it
        # was chosen at (1: a first call), not the one its inner calls set.
        # Timed at period 1, it counts as what it took (the inner calls'
        # some 200 samples, which once scaled it by calls / weights and
        # moved it by several per cent, now cover only the inner calls).
        reenter = functions["recursion.reenter"]
        expect_near("reenter total", reenter["total_ms"], float(took["reenter_ms"]))
        # Entered again through a pointer inside its timed outer call: the
        # inner frames' time is the outer's, not added again (6 times over).
        expect_counts(functions, "recursion.descend", 1 + 100 * 11, 0)
        expect_near("descend total", functions["recursion.descend"]["total_ms"],
                    float(took["descend_ms"]))
    finally:
        stop_collector(server)


def case_escape(tc, level):
    """Calls left by longjmp: a function's one returning call of 20 ms and
    50,000 calls that longjmp out.  Its total is what the returning call
    took (within 15%), exact counts; a timed call that never returns
    stands for itself with no time."""
    exe = tc.program("escape.c", level)
    result, sums = run_counted(tc, exe, "escape")
    took = dict(kv.split("=") for kv in result.stdout.split())
    expect(result.returncode == 0 and took.get("escaped") == "50000",
           result.stdout + result.stderr)
    expect_counts(sums, "escape.leave", 50001, 0)
    # The calls left open are timed about one in 1,024 (some 50 of them,
    # hooks.c's open frames), so their weights stand for the 50,000 within
    # some 10%; and each call pays the probe correction (~10 ns) whether
    # it returned or not.  30% still tells it from 1,000 s.
    expect_near("leave total", sums["escape.leave"]["total_ms"],
                float(took["long_ms"]), 0.3)


def case_labels(tc, level):
    """CODENSM_VERSION and CODENSM_INSTANCE travel with each batch to the
    real collector: runs of one program under different labels are told
    apart by `report --version/--instance` and by /api/report; a run that
    sets neither is stored under the host name and no version; a bad label
    is sent sanitized, after one warning."""
    db = os.path.join(tc.workdir, "collector.db")
    server, port, key = start_collector(tc, db)
    try:
        exe = tc.program("throws.cpp", level)
        env = collector_env(tc, port, key)
        runs = [{"CODENSM_VERSION": "1.2", "CODENSM_INSTANCE": "host-a"},
                {"CODENSM_VERSION": "1.3", "CODENSM_INSTANCE": "host-b"},
                {"CODENSM_VERSION": "1.3", "CODENSM_INSTANCE": "host-b"},
                {},
                {"CODENSM_VERSION": "2.0 rc1", "CODENSM_INSTANCE": "x" * 200}]
        warnings = []
        for labels in runs:
            result = run(exe, dict(env, **labels))
            expect(result.returncode == 0, result.stderr)
            warnings.append(result.stderr)
        expect(not any(warnings[:4]), "warnings for good labels: %r" % warnings[:4])
        expect("CODENSM_VERSION" in warnings[4] and "CODENSM_INSTANCE" in warnings[4]
               and '"2.0_rc1"' in warnings[4], "no warning for bad labels: %r" % warnings[4])

        # One run is 10 calls of throws.viaOther, 3 of them errors.
        host = socket.gethostname()
        for args, runs_counted in [((), 5), (("--version", "1.2"), 1), (("--version", "1.3"), 2),
                                   (("--instance", "host-a"), 1), (("--instance", "host-b"), 2),
                                   (("--version", "1.3", "--instance", "host-a"), 0),
                                   (("--version", ""), 1), (("--instance", host), 1),
                                   (("--version", "2.0_rc1", "--instance", "x" * 128), 1)]:
            functions = report_functions(tc, db, *args)
            expect_counts(functions, "throws.viaOther", 10 * runs_counted, 3 * runs_counted)

        url = ("http://127.0.0.1:%d/api/report?since=all&version=1.3&instance=host-b" % port)
        with urllib.request.urlopen(url, timeout=30) as answer:
            report = json.loads(answer.read())
        functions = {fn["name"]: fn for fn in report["functions"]}
        expect_counts(functions, "throws.viaOther", 20, 6)
        expect(sorted(report["labels"]["versions"]) == ["", "1.2", "1.3", "2.0_rc1"],
               "versions: %r" % report["labels"])
        expect(host in report["labels"]["instances"], "no %s in %r" % (host, report["labels"]))
    finally:
        stop_collector(server)


def write_wide_library(workdir, functions=4000, files=8):
    """libwide: functions lib_f<i>(x) = x + i spread over files, and
    lib_call(i, x), a switch that calls lib_f<i>."""
    sources = []
    per_file = functions // files
    for f in range(files):
        path = os.path.join(workdir, "wide%d.c" % f)
        with open(path, "w") as out:
            for i in range(f * per_file, (f + 1) * per_file):
                out.write("__attribute__((noinline)) long lib_f%d(long x) "
                          "{ return x + %d; }\n" % (i, i))
        sources.append(path)
    path = os.path.join(workdir, "widecall.c")
    with open(path, "w") as out:
        for i in range(functions):
            out.write("long lib_f%d(long x);\n" % i)
        out.write("long lib_call(int i, long x) {\n  switch (i) {\n")
        for i in range(functions):
            out.write("  case %d: return lib_f%d(x);\n" % (i, i))
        out.write("  }\n  return -1;\n}\n")
    sources.append(path)
    return sources


def case_thread_memory(tc, level):
    """Counter storage does not grow static TLS with the functions of an
    instrumented library (a PTHREAD_STACK_MIN thread starts) and a live
    thread costs memory for the functions it calls: 200 threads calling
    10 functions each of a 4,000-function library cost at most 24 KB per
    thread more than in the plain build; every call counted exactly."""
    flags = OPT_LEVELS[level]
    sources = write_wide_library(tc.workdir)
    main_src = os.path.join(PROGRAMS, "thread_memory.c")
    builds = {}
    for kind, instrument in (("plain", False), ("codensm", True)):
        lib = tc.compile(sources, os.path.join(tc.workdir, "libwide-%s.so" % kind),
                         flags, shared=True, instrument=instrument)
        exe = tc.compile([main_src, lib, "-Wl,-rpath," + tc.workdir],
                         os.path.join(tc.workdir, "thread_memory-" + kind), flags,
                         instrument=instrument)
        builds[kind] = exe
    plain = run(builds["plain"])
    expect(plain.returncode == 0, "plain build: %s%s" % (plain.stdout, plain.stderr))
    instrumented, sums = run_counted(tc, builds["codensm"], "thread_memory")
    expect_same_behaviour(plain, instrumented)

    def per_thread(result):
        for line in result.stderr.splitlines():
            if line.startswith("rss_per_thread_kb="):
                return float(line.split("=")[1])
        raise Failure("no rss figure in %r" % result.stderr)

    extra_kb = per_thread(instrumented) - per_thread(plain)
    print("thread_memory: %.1f KB per live thread beyond the plain build "
          "(plain %.1f, codensm %.1f)" % (extra_kb, per_thread(plain),
                                          per_thread(instrumented)))
    expect(extra_kb <= 24.0, "%.1f KB per live thread beyond the plain build "
           "(at most 24)" % extra_kb)
    # The small-stack thread called lib_f0..9 once; thread t called
    # lib_f(t + 400 j) for j < 10.
    expected = {}
    for i in range(10):
        expected[i] = expected.get(i, 0) + 1
    for t in range(200):
        for j in range(10):
            expected[t + 400 * j] = expected.get(t + 400 * j, 0) + 1
    for i in (0, 5, 9, 199, 400, 599, 3800, 3999):
        name = "wide%d.lib_f%d" % (i // 500, i)
        expect_counts(sums, name, expected.get(i, 0), 0)
    expect_counts(sums, "widecall.lib_call", 10 + 2000, 0)


def case_descriptors(tc, level):
    """The runtime's descriptors stay out of the program's way: its first
    open() gets 3 as in the plain build (the live file and the spool are
    held under high numbers), and a daemon that closes every descriptor
    from 3 and opens its own file under the runtime's old number keeps
    that file as it wrote it (the runtime grew and mapped whatever was
    under its live file's number), while every call is still counted."""
    flags = OPT_LEVELS[level]
    src = os.path.join(PROGRAMS, "descriptors.c")
    line = "the program's own data\n"
    results = {}
    for kind, instrument in (("plain", False), ("codensm", True)):
        exe = tc.compile([src, "-lpthread"], os.path.join(tc.workdir, "descriptors-" + kind),
                         flags, instrument=instrument)
        data = os.path.join(tc.workdir, "data-" + kind)
        if instrument:
            result, sums = run_counted(tc, exe, "descriptors", args=[data])
        else:
            result = run(exe, args=[data])
        with open(data) as f:
            written = f.read()
        expect(written == line, "%s build: the program's file holds %d bytes, "
               "not its line of %d" % (kind, len(written), len(line)))
        results[kind] = result
    expect(results["plain"].returncode == 0, "plain build: %r" % results["plain"].stderr)
    expect("first=3\n" in results["plain"].stdout, results["plain"].stdout)
    expect_same_behaviour(results["plain"], results["codensm"])
    # main called each function once, then each of 32 threads.
    for n in (1000, 1077, 2000, 2777):
        expect_counts(sums, "descriptors.f%d" % n, 33, 0)
    # The same, with the threads starting at once and an _exit(): the
    # next run takes the dead one's live file over.  Before round
    # twenty-five the runtime could not lock its own file again after the
    # program closed its descriptor, and a thread whose first calls found
    # another growing the file gave up on it: both counted in anonymous
    # memory, which _exit() lost (sshd: closefrom(), then _exit()).
    sink = os.path.join(tc.workdir, "descriptors.jsonl")
    os.unlink(sink)
    env = {"CODENSM_ENDPOINT": "file://" + sink,
           "CODENSM_SPOOL_DIR": os.path.join(tc.workdir, "spool")}
    hard = run(exe, env, args=[data, "hard"])
    expect(hard.returncode == 0, "hard end: %r" % hard.stderr)
    expect(hard.stdout == results["plain"].stdout, hard.stdout)
    run(exe, env, args=[data])
    sums = totals(sink)
    for n in (1000, 1077, 2000, 2777):
        expect_counts(sums, "descriptors.f%d" % n, 2 * 33, 0)
    expect_counts(sums, "descriptors.start_together", 2 * 32, 0)


def case_trivial(tc, level):
    """The trivial-function policy: a leaf accessor gets no probe, is never
    sent (not even as never called) and is listed as not instrumented by
    CODENSM_REPORT; the function calling it is counted exactly.  Under the
    untimed policy (the default) it is counted exactly and never timed."""
    flags = OPT_LEVELS[level] + ["-fplugin=" + tc.plugin, "-mllvm",
                                 "-codensm-trivial-instructions=8"]
    src = os.path.join(PROGRAMS, "trivial.c")
    exe = tc.compile([src], os.path.join(tc.workdir, "trivial"), flags)
    plain = run(tc.compile([src], os.path.join(tc.workdir, "trivial.plain"),
                           OPT_LEVELS[level], instrument=False))
    instrumented, sums = run_counted(tc, exe, "trivial",
                                     env={"CODENSM_REPORT": "1"})
    expect_same_behaviour(plain, instrumented)
    expect_counts(sums, "trivial.work", 1, 0)
    expect_counts(sums, "trivial.main", 1, 0)
    expect("trivial.getter" not in sums, "a function without a probe was "
           "sent: %r" % sums.get("trivial.getter"))
    expect("1 functions not instrumented" in instrumented.stderr and
           "\n  trivial.getter\n" in instrumented.stderr,
           "the report does not announce trivial.getter:\n" + instrumented.stderr)

    # At the defaults the accessor is counted, exactly, and never timed
    # (the untimed policy); its caller, which loops, is timed.
    exe = tc.compile([src], os.path.join(tc.workdir, "trivial.default"),
                     OPT_LEVELS[level])
    instrumented, sums = run_counted(tc, exe, "trivial-default")
    expect_same_behaviour(plain, instrumented)
    expect_counts(sums, "trivial.getter", 10, 0)
    expect_counts(sums, "trivial.work", 1, 0)
    expect(sums["trivial.getter"]["total_ms"] == 0
           and not sums["trivial.getter"]["hist"],
           "an untimed function was timed: %r" % sums["trivial.getter"])
    expect(sum(sums["trivial.work"]["hist"].values()) == 1,
           "the timed caller's one call is not in its histogram: %r"
           % sums["trivial.work"])


def case_untimed_inlined(tc, level):
    """The untimed-inlined policy: a small loop-free function inlined into
    its caller is counted exactly and not timed there (no histogram, no
    time); the function it calls through a pointer is timed; with the
    policy off (-codensm-untimed-inlined-instructions=0), and at -O0 where
    nothing is inlined, its calls are timed as any function's."""
    src = os.path.join(PROGRAMS, "untimed_inlined.c")
    plain = run(tc.compile([src], os.path.join(tc.workdir, "untimed_inlined.plain"),
                           OPT_LEVELS[level], instrument=False))
    exe = tc.program("untimed_inlined.c", level)
    inlined = level != "O0"
    if inlined:
        symbols = subprocess.run(["nm", exe], capture_output=True, text=True).stdout
        expect(" relay" not in symbols, "relay was not inlined: the test proves nothing")
    instrumented, sums = run_counted(tc, exe, "untimed_inlined")
    expect_same_behaviour(plain, instrumented)
    expect_counts(sums, "untimed_inlined.relay", 1000, 0)
    expect_counts(sums, "untimed_inlined.triple", 1000, 0)
    expect(sum(sums["untimed_inlined.triple"]["hist"].values()) >= 1,
           "the called function is not timed: %r" % sums["untimed_inlined.triple"])
    relay = sums["untimed_inlined.relay"]
    if inlined:
        expect(relay["total_ms"] == 0 and not relay["hist"],
               "an inlined copy was timed: %r" % relay)
    else:
        expect(sum(relay["hist"].values()) >= 1, "relay's own body is not timed: %r" % relay)
    if inlined:
        flags = OPT_LEVELS[level] + ["-fplugin=" + tc.plugin, "-mllvm",
                                     "-codensm-untimed-inlined-instructions=0"]
        exe = tc.compile([src], os.path.join(tc.workdir, "untimed_inlined.off"), flags)
        instrumented, sums = run_counted(tc, exe, "untimed_inlined-off")
        expect_same_behaviour(plain, instrumented)
        expect_counts(sums, "untimed_inlined.relay", 1000, 0)
        expect(sum(sums["untimed_inlined.relay"]["hist"].values()) >= 1,
               "the policy off, the inlined copy is not timed: %r"
               % sums["untimed_inlined.relay"])


def case_twins(tc, level):
    """Timed twins (plugin/TimedTwins.h): with every call timed
    (CODENSM_SAMPLE_PERIOD=1) every call of a short loop-free function runs
    in its twin, and with the default sampling some do.  The program behaves as
    the plain build (sret, byval, an exception thrown through a twin and one
    caught in it, recursion, an error convention, a thread with a
    PTHREAD_STACK_MIN stack); calls, errors and callers are exact; with
    every call timed, every call (every outermost one of the recursion) is
    in the histogram."""
    src = os.path.join(PROGRAMS, "twins.cpp")
    plain = run(tc.compile([src], os.path.join(tc.workdir, "twins.plain"), OPT_LEVELS[level],
                           instrument=False, cxx=True))
    exe = tc.program("twins.cpp", level)
    if level != "O0":  # -O0 keeps the hooks as runtime calls: no twins
        symbols = subprocess.run(["nm", exe], capture_output=True, text=True).stdout
        for twin in ("_Z4makel", "_Z5total3Big", "_Z5riskyi", "_Z7guardedi", "_Z5depthi"):
            expect(twin + ".codensm.timed" in symbols,
                   "%s has no twin: the test proves nothing" % twin)
    for period in ("1", None):
        env = {"CODENSM_SAMPLE_PERIOD": period} if period else {}
        instrumented, sums = run_counted(tc, exe, "twins-%s" % period, env=env)
        expect_same_behaviour(plain, instrumented)
        expect(instrumented.returncode == 7, "exit code %d" % instrumented.returncode)
        for name, calls, errors in (("make", 90, 0), ("total", 90, 0), ("risky", 80, 20),
                                    ("guarded", 40, 0), ("depth", 417, 0), ("parse", 40, 8),
                                    ("worker", 1, 0), ("main", 1, 0), ("scale", 1012, 0)):
            expect_counts(sums, "twins." + name, calls, errors)
        expect(sums["twins.risky"].get("callers") == {"twins.guarded": 40, "twins.main": 40},
               "risky's callers %r" % sums["twins.risky"].get("callers"))
        expect(sums["twins.depth"].get("callers")
               == {"twins.depth": 327, "twins.main": 40, "twins.worker": 50},
               "depth's callers %r" % sums["twins.depth"].get("callers"))
        if period:
            for name, timed in (("make", 90), ("total", 90), ("risky", 80), ("guarded", 40),
                                ("depth", 90), ("parse", 40)):
                got = sum(sums["twins." + name]["hist"].values())
                expect(got == timed, "twins.%s: %d calls in the histogram, expected %d"
                       % (name, got, timed))


def case_copies(tc, level):
    """Inlined copies counted by their call sites' edges (ABI 10): tiny's,
    relay's and outer's copies count nothing, their edges flagged
    EDGE_COUNTS_CALLEE
    count them; calls, errors and callers come out exact, the same as with
    the derivation off (-codensm-copies-from-edges=0), also when the
    process is killed and the next run delivers its live file."""
    src = os.path.join(PROGRAMS, "copies.c")
    plain = run(tc.compile([src], os.path.join(tc.workdir, "copies.plain"),
                           OPT_LEVELS[level], instrument=False))
    if "-flto=thin" not in OPT_LEVELS[level]:  # its IR is expanded at the link
        ir = tc.compile([src], os.path.join(tc.workdir, "copies.ll"),
                        OPT_LEVELS[level] + ["-S", "-emit-llvm"], link=False)
        with open(ir) as f:
            edges = re.search(r"^@__codensm_edges = .*$", f.read(), re.M)
        flagged = re.findall(r"\{ i32 (\d+), i32 (-?\d+), i64 -?\d+, i32 2, i32 \d+ \}",
                             edges.group(0) if edges else "")
        expect(len(flagged) == 4, "expected 4 edges counting their callees' copies, got "
               "%r (the test proves nothing)" % flagged)
    expected = {
        "copies.tiny": (1524, 0, {"copies.hot": 1002, "copies.relay": 500,
                                  "copies.outer": 10, "copies.slow": 7}),
        "copies.relay": (1001, 0, {"copies.hot": 1001}),
        "copies.outer": (10, 0, {"copies.main": 10}),
        "copies.check": (1001, 201, {"copies.hot": 1001}),
        "copies.slow": (7, 0, {"copies.main": 7}),
        "copies.hot": (1, 0, {"copies.in_thread": 1}),
        "copies.main": (1, 0, {}),
    }

    def check(sums, how):
        for name, (calls, errors, callers) in expected.items():
            expect_counts(sums, name, calls, errors)
            got = sums[name].get("callers", {})
            expect(got == callers, "%s, %s: callers %r, expected %r" % (how, name, got, callers))

    exe = tc.program("copies.c", level)
    instrumented, sums = run_counted(tc, exe, "copies")
    expect_same_behaviour(plain, instrumented)
    check(sums, "default")
    off = tc.compile([src], os.path.join(tc.workdir, "copies.off"),
                     OPT_LEVELS[level] + ["-mllvm", "-codensm-copies-from-edges=0"])
    instrumented, sums = run_counted(tc, off, "copies-off")
    expect_same_behaviour(plain, instrumented)
    check(sums, "off")
    # Killed before any flush: the next run takes its live file over.
    sink = os.path.join(tc.workdir, "copies-kill.jsonl")
    env = {"CODENSM_ENDPOINT": "file://" + sink,
           "CODENSM_SPOOL_DIR": os.path.join(tc.workdir, "spool-kill")}
    killed = run(exe, env, args=["kill"])
    expect(killed.returncode == -signal.SIGKILL, "kill: status %d" % killed.returncode)
    expect(not os.path.exists(sink), "kill: sent before it died")
    expect(run(exe, env).returncode == 0, "the run after the kill failed")
    sums = totals(sink)
    for name, (calls, errors, _) in expected.items():
        expect_counts(sums, name, 2 * calls, 2 * errors)


CASES = {
    "twins": case_twins,
    "trivial": case_trivial,
    "untimed-inlined": case_untimed_inlined,
    "thread-memory": case_thread_memory,
    "descriptors": case_descriptors,
    "fib": case_fib,
    "throws": case_throws,
    "negative": case_negative,
    "excluded": case_excluded,
    "dlopen": case_dlopen,
    "exit-unload": case_exit_unload,
    "threads": case_threads,
    "fork": case_fork,
    "fork-sampling": case_fork_sampling,
    "fork-keys": case_fork_keys,
    "fork-handoff": case_fork_handoff,
    "handoff-window": case_handoff_window,
    "extensions-spooled": case_extensions_spooled,
    "handoff-unsettled": case_handoff_unsettled,
    "handoff-between-flushes": case_handoff_between_flushes,
    "handoff-orphan": case_handoff_orphan,
    "handoff-nofiles": case_handoff_nofiles,
    "spooled-departments": case_spooled_departments,
    "stale-tmp": case_stale_tmp,
    "hard-end": case_hard_end,
    "orphans": case_orphans,
    "sandboxed": case_sandboxed,
    "static-init": case_static_init,
    "signals": case_signals,
    "inlined": case_inlined,
    "copies": case_copies,
    "collector": case_collector,
    "announced": case_announced,
    "remembered-extensions": case_remembered_extensions,
    "latency": case_latency,
    "causes": case_causes,
    "callers": case_callers,
    "aliases": case_aliases,
    "probe": case_probe,
    "recursion": case_recursion,
    "escape": case_escape,
    "labels": case_labels,
    "runtime-hooks": case_runtime_hooks,
    "selection": case_selection,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", required=True, help="NAME or NAME:LEVEL")
    parser.add_argument("--clang", required=True)
    parser.add_argument("--plugin", required=True)
    parser.add_argument("--runtime-dir", required=True)
    parser.add_argument("--include", required=True)
    parser.add_argument("--collector")
    parser.add_argument("--gcc", help="codensm-gcc: build through the source rewriter")
    args = parser.parse_args()
    name, _, level = args.case.partition(":")
    for attempt in range(1, ATTEMPTS + 1):
        workdir = tempfile.mkdtemp(prefix="codensm-e2e-")
        try:
            CASES[name](Toolchain(args, workdir), level or "O2")
        except TimingFailure as failure:
            print("FAIL %s (attempt %d of %d, a time measured): %s"
                  % (args.case, attempt, ATTEMPTS, failure))
            print("(work files kept in %s)" % workdir)
            continue
        except Failure as failure:
            print("FAIL %s: %s" % (args.case, failure))
            print("(work files kept in %s)" % workdir)
            return 1
        shutil.rmtree(workdir, ignore_errors=True)
        print("PASS %s%s" % (args.case, " (attempt %d)" % attempt if attempt > 1 else ""))
        return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
