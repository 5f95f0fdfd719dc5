# SPDX-License-Identifier: Apache-2.0
"""instructions.py - what each variant of a real workload executes, counted
by callgrind: the figure a shared machine's load cannot move, beside the
CPU medians of bench/real/run (its --instructions).

  redis       user-space instructions a GET (the server's code, libc and
              the runtime): callgrind zeroed after 20,000 GETs of warm-up
              and dumped after 40,000 more at -P 16, on a copy of
              redis-server without debug information (valgrind 3.19
              cannot read clang 14's for Redis: "Possibly corrupted
              debuginfo file")
  speedtest1  the whole process, --size 3
  lua         the whole process, bench.lua 1

Under callgrind every call takes some 50 times longer, and the runtime's
sampling periods follow durations, so the runtime's sampled path is
overstated here (docs/performance.md, round thirteen); the code's own
counts are exact.
"""
import re
import shutil
import subprocess
import time
from pathlib import Path

GETS_WARM, GETS_COUNTED = 20_000, 40_000


def _stripped(exe, workdir):
    """A copy of exe without debug information, beside its runs."""
    workdir.mkdir(parents=True, exist_ok=True)
    copy = workdir / (Path(exe).name + ".nodebug")
    shutil.copy2(exe, copy)
    subprocess.run(["objcopy", "--strip-debug", str(copy)], check=True)
    return copy


def _whole_process(cmd, cwd, env):
    """Instructions of one run of cmd under callgrind."""
    p = subprocess.run(["valgrind", "--tool=callgrind",
                        "--callgrind-out-file=/dev/null"] + [str(c) for c in cmd],
                       cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True, timeout=3600)
    m = re.search(r"Collected\s*:\s*(\d+)", p.stderr)
    if p.returncode or not m:
        raise RuntimeError("callgrind of %s failed:\n%s" % (cmd[0], p.stderr[-2000:]))
    return int(m.group(1))


def speedtest1(exe, workdir, env):
    db = workdir / "speedtest1-cg.db"
    workdir.mkdir(parents=True, exist_ok=True)
    for f in workdir.glob("speedtest1-cg.db*"):
        f.unlink()
    return _whole_process([_stripped(exe, workdir), "--size", "3", "--nosync", db],
                          workdir, env)


def lua(exe, script, workdir, env):
    return _whole_process([_stripped(exe, workdir), script, "1"], workdir, env)


def redis_per_get(exe, client, port, ping, workdir, env):
    """Instructions a GET; ping(port) answers whether the server is up."""
    out = workdir / "callgrind.out"
    for old in workdir.glob("callgrind.out*"):
        old.unlink()
    server = subprocess.Popen(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=%s" % out,
         str(_stripped(exe, workdir)), "--port", str(port), "--bind", "127.0.0.1",
         "--save", "", "--appendonly", "no", "--dir", str(workdir)],
        cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while not ping(port):
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("redis-server under callgrind did not start")
            time.sleep(0.5)
        bench = [str(client), "-h", "127.0.0.1", "-p", str(port), "-P", "16", "-q",
                 "-t", "get"]
        subprocess.run(bench + ["-n", str(GETS_WARM)], check=True,
                       stdout=subprocess.DEVNULL, timeout=900)
        subprocess.run(["callgrind_control", "-z", str(server.pid)], check=True,
                       stdout=subprocess.DEVNULL, timeout=120)
        subprocess.run(bench + ["-n", str(GETS_COUNTED)], check=True,
                       stdout=subprocess.DEVNULL, timeout=900)
        subprocess.run(["callgrind_control", "-d", str(server.pid)], check=True,
                       stdout=subprocess.DEVNULL, timeout=120)
        dump = workdir / "callgrind.out.1"
        deadline = time.monotonic() + 60
        while True:  # the summary is the dump's last line
            m = dump.exists() and re.search(r"^summary:\s*(\d+)", dump.read_text(), re.M)
            if m:
                return int(m.group(1)) / GETS_COUNTED
            if time.monotonic() > deadline:
                raise RuntimeError("no summary in %s" % dump)
            time.sleep(0.5)
    finally:
        server.kill()
        server.wait(timeout=60)
