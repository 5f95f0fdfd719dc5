# SPDX-License-Identifier: Apache-2.0
"""instructions.py - callgrind's instruction counts for bench/real/run
--instructions: the figure a shared machine's load cannot move, beside the
CPU medians.  The workloads are run's; this module only counts:

  whole_process   the instructions of one run of a command
  prefix + counted_between
                  those of a stretch of a long-running process (a Redis
                  server: zeroed before, dumped after)

Every binary is counted from a copy without debug information (stripped):
valgrind 3.19 cannot read clang 14's for Redis ("Possibly corrupted
debuginfo file").  Under callgrind every call takes some 50 times longer,
and the runtime's sampling periods follow durations, so the runtime's
sampled path is overstated here (docs/performance.md, rounds thirteen and
nineteen); the code's own counts are exact.  So every count comes as a
Count: the whole, and the part run inside libcodensm (the runtime's
sampled path, registration, flushes), which bench/real/run shows apart.
"""
import re
import shutil
import subprocess
import tempfile
import time
from collections import namedtuple
from pathlib import Path

Count = namedtuple("Count", "total runtime")
RUNTIME_OBJECT = re.compile(r"/libcodensm\.so[.0-9]*$")


def stripped(exe, workdir):
    """A copy of exe without debug information, in workdir."""
    workdir.mkdir(parents=True, exist_ok=True)
    copy = workdir / (Path(exe).name + ".nodebug")
    shutil.copy2(exe, copy)
    subprocess.run(["objcopy", "--strip-debug", str(copy)], check=True)
    return copy


def parsed(dump):
    """({object file: instructions run in its own code}, {"summary": n,
    "totals": n}) of a callgrind dump, in one pass.  Cost lines after a
    calls= line are the call's inclusive cost and are left out; (n) names
    are callgrind's string compression."""
    names, by_object, sums = {}, {}, {}
    obj, inclusive_next = None, False

    def name_of(value):
        m = re.match(r"\((\d+)\)(?:\s+(.*))?$", value)
        if not m:
            return value
        if m.group(2) is not None:
            names[m.group(1)] = m.group(2)
        return names.get(m.group(1), value)

    with open(dump) as f:
        for line in f:
            if line.startswith("ob="):
                obj = name_of(line[3:].strip())
            elif line.startswith("cob="):
                name_of(line[4:].strip())  # may define a name used later
            elif line.startswith("calls="):
                inclusive_next = True
            elif line.startswith(("summary:", "totals:")):
                key, value = line.split(":", 1)
                sums[key] = int(value.split()[0])
            elif line[:1].isdigit() or line[:1] in "+-*":
                fields = line.split()
                if inclusive_next:
                    inclusive_next = False
                elif len(fields) >= 2:
                    by_object[obj] = by_object.get(obj, 0) + int(fields[1])
    return by_object, sums


def counted(dump):
    """The Count of a callgrind dump.  The total is its summary line, the
    figure of earlier rounds; the objects' parts are checked against its
    totals line (after a zero, the two differ by a few tenths of a
    percent)."""
    by_object, sums = parsed(dump)
    totals = sums.get("totals", sums.get("summary"))
    if "summary" not in sums or totals != sum(by_object.values()):
        raise RuntimeError("%s: objects sum to %d, totals say %s"
                           % (dump, sum(by_object.values()), totals))
    return Count(sums["summary"],
                 sum(n for obj, n in by_object.items()
                     if obj and RUNTIME_OBJECT.search(obj)))


def whole_process(cmd, cwd, env):
    """The Count of one run of cmd under callgrind."""
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(tmp) / "callgrind.out"
        p = subprocess.run(["valgrind", "--tool=callgrind",
                            "--callgrind-out-file=%s" % dump] + [str(c) for c in cmd],
                           cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True, timeout=3600)
        if p.returncode or not dump.exists():
            raise RuntimeError("callgrind of %s failed:\n%s" % (cmd[0], p.stderr[-2000:]))
        return counted(dump)


def prefix(out):
    """The command prefix that runs a process under callgrind, its dumps
    going to out, out.1, ... (earlier ones removed)."""
    for old in out.parent.glob(out.name + "*"):
        old.unlink()
    return ["valgrind", "--tool=callgrind", "--callgrind-out-file=%s" % out]


def counted_between(pid, out, work):
    """The Count of what process pid (started under prefix(out)) runs while
    work() runs: zeroed before, dumped after."""
    subprocess.run(["callgrind_control", "-z", str(pid)], check=True,
                   stdout=subprocess.DEVNULL, timeout=120)
    work()
    subprocess.run(["callgrind_control", "-d", str(pid)], check=True,
                   stdout=subprocess.DEVNULL, timeout=120)
    dump = out.parent / (out.name + ".1")
    deadline = time.monotonic() + 60
    while True:  # the summary is the dump's last line
        if dump.exists() and re.search(r"^summary:", dump.read_text(), re.M):
            return counted(dump)
        if time.monotonic() > deadline:
            raise RuntimeError("no summary in %s" % dump)
        time.sleep(0.5)
