# SPDX-License-Identifier: Apache-2.0
"""benchlib - what bench/run and bench/real/run share: where clang, the
plugin and the runtime are, the flags of CodeNSM's variants, and bringing
the CodeNSM build (CODENSM_BUILD, default build-bench) up to date."""
import os
import re
import shlex
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLANG = os.environ.get("CLANG", "/usr/lib/llvm-14/bin/clang")
BUILD = os.path.abspath(os.environ.get("CODENSM_BUILD",
                                       os.path.join(ROOT, "build-bench")))
PLUGIN = os.path.join(BUILD, "lib", "CodeNSM.so")
# The plugin's front-end half (plugin/frontend), built with LLVM 14's
# Clang, as the bench's build is: codensm-clang and target_codensm() load
# it, so the bench does too.  It loads CodeNSM.so early, so -mllvm knows
# the plugin's options.
FRONTEND = os.path.join(BUILD, "lib", "CodeNSMFrontend.so")
RTDIR = os.path.join(BUILD, "runtime")

# Compile flags of CodeNSM's variants: the front end (-fplugin), the pass
# in the pipeline (-fpass-plugin) and clang's constructor aliases off, as
# codensm-clang gives them, and the plugin's own options.
LOAD = ["-fplugin=" + FRONTEND, "-fpass-plugin=" + PLUGIN,
        "-Xclang", "-mno-constructor-aliases"]
CNSM_FLAGS = {
    "codensm": LOAD,
    "codensm-every": LOAD + ["-mllvm", "-codensm-timing=every"],
    "codensm-off": LOAD + ["-mllvm", "-codensm-timing=off"],
    # The hooks as calls the optimiser knows nothing about (before they
    # were declared inaccessiblememonly): what that declaration buys.
    "codensm-opaque": LOAD + ["-mllvm", "-codensm-hooks-inaccessible=0"],
    # Without recursion depths: what keeping them costs.
    "codensm-norec": LOAD + ["-mllvm", "-codensm-recursion=0"],
    # The inliner told the hooks cost nothing (inlines as plain does).
    "codensm-inline": LOAD + ["-mllvm", "-codensm-inline-as-plain"],
    # Without caller->callee edges: what counting them costs.
    "codensm-noedges": LOAD + ["-mllvm", "-codensm-callers=0"],
    # Inlined copies counting themselves, beside their call sites' edges:
    # what letting the edge count them buys (ABI 10).
    "codensm-nocopies": LOAD + ["-mllvm", "-codensm-copies-from-edges=0"],
    # Without timed twins: a sampled call's start kept in a register to
    # every exit, as before round nine.
    "codensm-notwins": LOAD + ["-mllvm", "-codensm-timed-twins=0"],
    # Without the cleanup pads that count an exception's exits as errors
    # (which it then loses): what the pads cost a C++ build.
    "codensm-nopads": LOAD + ["-mllvm", "-codensm-unwind-exits=0"],
    # A dispatcher's edges counted up to 256 callees, not 64: what giving
    # PostgresMain's callees (exec_simple_query's) their caller costs.
    "codensm-c256": LOAD + ["-mllvm", "-codensm-callers-max-callees=256"],
    # Edges priced at nothing by the inliner (each becomes one add).
    "codensm-edgefree": LOAD + ["-mllvm", "-codensm-edges-inline-free"],
    # clang's constructor and destructor aliases left on, as before round
    # twenty-three (empty inline destructors then count nothing): what
    # turning them off costs a C++ build.
    "codensm-aliases": [f for f in LOAD if f not in ("-Xclang", "-mno-constructor-aliases")],
}
# The untimed policy at a few thresholds: codensm-u<N> (u0 times every
# function, as before the policy).
for _n in (0, 32):
    CNSM_FLAGS["codensm-u%d" % _n] = [
        *LOAD, "-mllvm", "-codensm-untimed-instructions=%d" % _n]
# The trivial-function policy at a few thresholds: codensm-t<N>.
for _n in (8, 16, 32):
    CNSM_FLAGS["codensm-t%d" % _n] = [
        *LOAD, "-mllvm", "-codensm-trivial-instructions=%d" % _n]
CNSM_LINK = ["-L" + RTDIR, "-lcodensm", "-Wl,-rpath," + RTDIR]
# Another build of CodeNSM (an earlier commit's), measured as the variant
# codensm-base beside codensm in the same run: a change to the pass or the
# runtime judged against its before, not against another run's figures.
BASE_BUILD = os.environ.get("CODENSM_BASE_BUILD")
if BASE_BUILD:
    BASE_BUILD = os.path.abspath(BASE_BUILD)
    _base_frontend = os.path.join(BASE_BUILD, "lib", "CodeNSMFrontend.so")
    CNSM_FLAGS["codensm-base"] = (
        ["-fplugin=" + _base_frontend] if os.path.exists(_base_frontend)
        else []) + ["-fpass-plugin=" + os.path.join(BASE_BUILD, "lib", "CodeNSM.so")]


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, **kw).stdout


def ensure_build(say=print):
    """Configures when needed and always builds: an up-to-date build costs
    seconds, a stale one measures yesterday's code."""
    if not os.path.exists(os.path.join(BUILD, "CMakeCache.txt")):
        say("building CodeNSM into %s" % BUILD)
        sh(["cmake", "-S", ROOT, "-B", BUILD, "-DCMAKE_BUILD_TYPE=Release"])
    sh(["cmake", "--build", BUILD, "-j2"])


def compile_cpu(cmd, cwd=None):
    """CPU seconds (user + sys) of one compiler process and what it ran:
    os.wait4's rusage, so other tenants' processes do not count."""
    p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode:
        raise RuntimeError("compile failed: %s\n%s" % (" ".join(cmd),
                                                       p.stderr.read().decode()))
    return ru.ru_utime + ru.ru_stime


def cc1_command(cmd, cwd=None):
    """The clang -cc1 command a clang driver command runs (clang -###), so
    callgrind measures the compiler and not the driver."""
    text = subprocess.run(cmd + ["-###"], cwd=cwd, check=True, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE).stderr
    for line in text.splitlines():
        if '"-cc1"' in line:
            return shlex.split(line)
    raise RuntimeError("no cc1 command in clang -### of %s" % " ".join(cmd))


def callgrind_ir(cmd, cwd=None):
    """Instructions (callgrind's Ir) one process executes: a figure other
    tenants of the machine cannot move."""
    p = subprocess.run(["valgrind", "--tool=callgrind",
                        "--callgrind-out-file=/dev/null"] + cmd, cwd=cwd,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    m = re.search(r"refs:\s+([\d,]+)", p.stderr)
    if p.returncode or not m:
        raise RuntimeError("callgrind failed: %s\n%s" % (" ".join(cmd),
                                                        p.stderr[-2000:]))
    return int(m.group(1).replace(",", ""))
