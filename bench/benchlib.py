# SPDX-License-Identifier: Apache-2.0
"""benchlib - what bench/run and bench/real/run share: where clang, the
plugin and the runtime are, the flags of CodeNSM's variants, and bringing
the CodeNSM build (CODENSM_BUILD, default build-bench) up to date."""
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLANG = os.environ.get("CLANG", "/usr/lib/llvm-14/bin/clang")
BUILD = os.path.abspath(os.environ.get("CODENSM_BUILD",
                                       os.path.join(ROOT, "build-bench")))
PLUGIN = os.path.join(BUILD, "lib", "CodeNSM.so")
RTDIR = os.path.join(BUILD, "runtime")

# Compile flags of CodeNSM's variants.  -codensm-timing is the plugin's own
# option: -fplugin loads it into clang so that -mllvm knows the option,
# -fpass-plugin puts the pass in the pipeline.
CNSM_FLAGS = {
    "codensm": ["-fpass-plugin=" + PLUGIN],
    "codensm-every": ["-fplugin=" + PLUGIN, "-fpass-plugin=" + PLUGIN,
                      "-mllvm", "-codensm-timing=every"],
    "codensm-off": ["-fplugin=" + PLUGIN, "-fpass-plugin=" + PLUGIN,
                    "-mllvm", "-codensm-timing=off"],
    # The hooks as calls the optimiser knows nothing about (before they
    # were declared inaccessiblememonly): what that declaration buys.
    "codensm-opaque": ["-fplugin=" + PLUGIN, "-fpass-plugin=" + PLUGIN,
                       "-mllvm", "-codensm-hooks-inaccessible=0"],
}
# The trivial-function policy at a few thresholds: codensm-t<N>.
for _n in (8, 16, 32):
    CNSM_FLAGS["codensm-t%d" % _n] = [
        "-fplugin=" + PLUGIN, "-fpass-plugin=" + PLUGIN,
        "-mllvm", "-codensm-trivial-instructions=%d" % _n]
CNSM_LINK = ["-L" + RTDIR, "-lcodensm", "-Wl,-rpath," + RTDIR]


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
