#!/usr/bin/env python3
"""Integration tests of CodeNSM's build integration, against an installed
tree: what a user does with find_package(CodeNSM), codensm-clang and
pkg-config, checked by the exact figures the programs write through the
file:// sink.

    integration.py --case NAME --build-dir B --source-dir S --work W --clang C

Cases: install (cmake --install into W/prefix; the others need it),
cmake-package, target-selection, example-service, makefile, pkg-config,
cmake-package-gcc, mixed-refused, wrong-major, compiler-checks.
"""
import argparse
import glob
import json
import os
import shutil
import subprocess
import sys


class Failure(Exception):
    pass


def expect(condition, message):
    if not condition:
        raise Failure(message)


def sh(cmd, cwd=None, env=None, ok=True):
    """Runs cmd, returns the completed process; fails the test unless it
    exits as expected (ok=True: 0, ok=False: non-zero)."""
    print("+ " + " ".join(cmd), flush=True)
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True,
                            text=True, timeout=600)
    if (result.returncode == 0) != ok:
        raise Failure("%s exited %d\n--- stdout\n%s\n--- stderr\n%s" % (
            " ".join(cmd), result.returncode, result.stdout, result.stderr))
    return result


def clean_env(extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CODENSM_")}
    env.update(extra or {})
    return env


def run_counted(exe, work, name, cwd=None):
    """Runs exe with the file:// sink; returns (stdout, {name: figures})."""
    sink = os.path.join(work, name + ".jsonl")
    if os.path.exists(sink):
        os.remove(sink)
    result = sh([exe], cwd=cwd, env=clean_env({"CODENSM_ENDPOINT": "file://" + sink}))
    expect(os.path.exists(sink), "%s wrote no figures to %s" % (exe, sink))
    sums = {}
    with open(sink) as f:
        for line in f:
            for fn in json.loads(line)["functions"]:
                s = sums.setdefault(fn["name"], {"calls": 0, "errors": 0})
                s["calls"] += fn["calls"]
                s["errors"] += fn["errors"]
                s["department"] = fn["department"]
                s["value_weight"] = fn["value_weight"]
    return result.stdout, sums


def expect_counts(sums, name, calls, errors=0, department=None, weight=None):
    expect(name in sums, "%s not reported; reported: %s" % (name, sorted(sums)))
    got = sums[name]
    expect((got["calls"], got["errors"]) == (calls, errors),
           "%s: %d calls %d errors, expected %d and %d" % (
               name, got["calls"], got["errors"], calls, errors))
    if department is not None:
        expect(got["department"] == department, "%s: department %r, expected %r" % (
            name, got["department"], department))
    if weight is not None:
        expect(got["value_weight"] == weight, "%s: weight %r, expected %r" % (
            name, got["value_weight"], weight))


def configure_build(args, source, build, extra=(), compilers=None):
    cc, cxx = compilers or (args.clang, args.clang + "++")
    shutil.rmtree(build, ignore_errors=True)
    sh(["cmake", "-S", source, "-B", build, "-DCMAKE_PREFIX_PATH=" + args.prefix,
        "-DCMAKE_C_COMPILER=" + cc, "-DCMAKE_CXX_COMPILER=" + cxx]
       + list(extra), env=clean_env())
    sh(["cmake", "--build", build, "-j2"], env=clean_env())


def case_install(args):
    shutil.rmtree(args.prefix, ignore_errors=True)
    sh(["cmake", "--install", args.build_dir, "--prefix", args.prefix])
    major = args.llvm_major
    for path in ["bin/codensm-collector", "bin/codensm-clang", "bin/codensm-clang++",
                 "lib/codensm/llvm-%s/CodeNSM.so" % major, "lib/libcodensm.so",
                 "lib/libcodensm.a", "include/codensm.h", "include/codensm_abi.h",
                 "bin/codensm-rewrite", "bin/codensm-gcc", "bin/codensm-g++",
                 "lib/cmake/CodeNSM/CodeNSMConfig.cmake",
                 "lib/cmake/CodeNSM/CodeNSMConfigVersion.cmake",
                 "lib/pkgconfig/codensm.pc"]:
        expect(os.path.exists(os.path.join(args.prefix, path)), "not installed: " + path)


def case_cmake_package(args, compilers=None):
    build = os.path.join(args.work, "project-gcc" if compilers else "project")
    configure_build(args, os.path.join(args.here, "project"), build, compilers=compilers)
    out, sums = run_counted(os.path.join(build, "app"), args.work, "app")
    expect("itest: 156" in out, "app printed %r" % out)
    expect_counts(sums, "lib/square.square", 10, 2, department="quality team")
    expect_counts(sums, "main.main", 1, department="quality team")
    expect_counts(sums, "greet.greet", 1)
    expect_counts(sums, "greet.itest::greeting_length", 1)
    expect_counts(sums, "itest::Greeting::~Greeting", 1)  # inline: no module
    expect_counts(sums, "greet.itest::Message::~Message", 1)
    expect(not any("legacy_twice" in n for n in sums), "EXCLUDE legacy was instrumented")
    expect(not any("asm_add" in n for n in sums), "assembler was instrumented")

    out, sums = run_counted(os.path.join(build, "configured"), args.work, "configured")
    expect_counts(sums, "lib/square.square", 5, 2, department="maths")
    expect(sorted(sums) == ["lib/square.square"],
           "INCLUDE lib/*.c instrumented more: %s" % sorted(sums))

    out, sums = run_counted(os.path.join(build, "departed"), args.work, "departed")
    expect_counts(sums, "lib/square.square", 5, 2, department="maths team")
    expect_counts(sums, "configured.main", 1, department="maths team")


# cmake-subdirectory: target_codensm() on a parent directory's targets, from
# the subdirectory that called find_package(CodeNSM), on targets linked
# with the plain target_link_libraries() signature: an executable and the
# static library it links.  CMake resolves a target's link items where the
# target was made, so the imported targets are global (CodeNSMConfig.cmake);
# round twenty-four's first module stopped at generation here, the one
# before it at the mixed signatures.
def case_cmake_subdirectory(args):
    src = os.path.join(args.work, "subdirectory-src")
    build = os.path.join(args.work, "subdirectory")
    shutil.rmtree(src, ignore_errors=True)
    os.makedirs(os.path.join(src, "instrument"))
    files = {
        "CMakeLists.txt":
            "cmake_minimum_required(VERSION 3.16)\nproject(subdirectory LANGUAGES C)\n"
            "add_library(helpers STATIC helpers.c)\n"
            "add_executable(outer main.c)\n"
            "target_link_libraries(outer helpers m)\n"
            "add_subdirectory(instrument)\n",
        "instrument/CMakeLists.txt":
            "find_package(CodeNSM REQUIRED)\n"
            "target_codensm(helpers DEPARTMENT tools)\n"
            "target_codensm(outer)\n",
        "helpers.c": "int twice(int x) { return 2 * x; }\n",
        "main.c": "#include <stdio.h>\nint twice(int);\n"
                  "int main(void) { int s = 0; for (int i = 0; i < 3; i++) s += twice(i);\n"
                  "  printf(\"sub: %d\\n\", s); return 0; }\n",
    }
    for name, text in files.items():
        with open(os.path.join(src, name), "w") as f:
            f.write(text)
    configure_build(args, src, build)
    out, sums = run_counted(os.path.join(build, "outer"), args.work, "outer")
    expect("sub: 6" in out, "outer printed %r" % out)
    expect_counts(sums, "helpers.twice", 3, department="tools")
    expect_counts(sums, "main.main", 1)


# target-selection: one project, every source defining one function that
# main() calls once.  The globs exercise each rule: `**`, `*` within a
# component, `?`, a name without `/` at any depth, a directory covering
# what is under it, EXCLUDE winning over INCLUDE.
SELECTION_INCLUDE = ["src/**", "tools/*.c", "main.c"]
SELECTION_EXCLUDE = ["*_test.c", "vendor", "src/net/legacy?.c"]
SELECTION_SOURCES = {  # path: (function, selected by the globs)
    "main.c": ("main", True),
    "src/net/http.c": ("http_get", True),
    "src/net/http_test.c": ("http_test", False),
    "src/net/legacy1.c": ("legacy_one", False),
    "src/net/legacy10.c": ("legacy_ten", True),
    "src/util/str.c": ("str_len", True),
    "src/util/vendor/zpack.c": ("zpack", False),
    "vendor/lib.c": ("vendor_lib", False),
    "tools/cli.c": ("cli_run", True),
    "tools/deep/helper.c": ("deep_help", False),
    "gen/table.c": ("gen_table", False),
}
# In a file left out, a function marked CODENSM_TRACK is instrumented all
# the same, by either selection: the plugin decides, not the build.
SELECTION_TRACKED = ("vendor/lib.c", "vendor_audit")


def write_selection_project(src, yaml_selects):
    """The project in src; its .codensm.yaml holds the globs when
    yaml_selects, else target_codensm() gets them."""
    shutil.rmtree(src, ignore_errors=True)
    calls = []
    for path, (fn, _) in SELECTION_SOURCES.items():
        if fn == "main":
            continue
        os.makedirs(os.path.dirname(os.path.join(src, path)), exist_ok=True)
        body = "int %s(void) { return 1; }\n" % fn
        if path == SELECTION_TRACKED[0]:
            body = ("#include <codensm.h>\n" + body +
                    "CODENSM_TRACK int %s(void) { return 2; }\n" % SELECTION_TRACKED[1])
            calls.append(SELECTION_TRACKED[1])
        with open(os.path.join(src, path), "w") as f:
            f.write(body)
        calls.append(fn)
    with open(os.path.join(src, "main.c"), "w") as f:
        f.write("".join("int %s(void);\n" % fn for fn in calls))
        f.write("int main(void) { return %s == %d ? 0 : 1; }\n" % (
            " + ".join("%s()" % fn for fn in calls), len(calls) + 1))
    globs = lambda key, values: "%s: [%s]\n" % (key, ", ".join('"%s"' % g for g in values))
    with open(os.path.join(src, ".codensm.yaml"), "w") as f:
        f.write("# The root of module names, in both builds.\n")
        if yaml_selects:
            f.write(globs("include", SELECTION_INCLUDE) + globs("exclude", SELECTION_EXCLUDE))
    selection = "" if yaml_selects else "INCLUDE %s EXCLUDE %s" % (
        " ".join('"%s"' % g for g in SELECTION_INCLUDE),
        " ".join('"%s"' % g for g in SELECTION_EXCLUDE))
    with open(os.path.join(src, "CMakeLists.txt"), "w") as f:
        f.write("cmake_minimum_required(VERSION 3.20)\nproject(selection LANGUAGES C)\n"
                "find_package(CodeNSM REQUIRED)\nadd_executable(app %s)\n"
                "target_codensm(app %s)\n" % (" ".join(sorted(SELECTION_SOURCES)), selection))


def case_target_selection(args):
    """target_codensm(INCLUDE/EXCLUDE) instruments exactly what the same
    globs in .codensm.yaml instrument."""
    selected = {}
    for how, yaml_selects in (("yaml", True), ("cmake", False)):
        src = os.path.join(args.work, "selection-" + how)
        write_selection_project(src, yaml_selects)
        build = os.path.join(args.work, "selection-" + how + "-build")
        configure_build(args, src, build)
        _, sums = run_counted(os.path.join(build, "app"), args.work, "selection-" + how)
        selected[how] = {name: s["calls"] for name, s in sums.items()}
    expect(selected["cmake"] == selected["yaml"],
           "target_codensm(INCLUDE/EXCLUDE) and .codensm.yaml differ:\n"
           "  only target_codensm: %s\n  only .codensm.yaml: %s" % (
               sorted(set(selected["cmake"].items()) - set(selected["yaml"].items())),
               sorted(set(selected["yaml"].items()) - set(selected["cmake"].items()))))
    expected = {"%s.%s" % (os.path.splitext(path)[0], fn): 1
                for path, (fn, chosen) in SELECTION_SOURCES.items() if chosen}
    expected["vendor/lib.%s" % SELECTION_TRACKED[1]] = 1
    expect(selected["yaml"] == expected, "the globs selected %s, expected %s" % (
        sorted(selected["yaml"]), sorted(expected)))


def case_example_service(args):
    for example, exe in (("service", "service"), ("cpp", "shop")):
        build = os.path.join(args.work, "example-" + example)
        configure_build(args, os.path.join(args.source_dir, "examples", example), build)
        out, sums = run_counted(os.path.join(build, exe), args.work, example)
        if example == "service":
            expect("31 orders placed, 9 failed" in out, "service printed %r" % out)
            expect_counts(sums, "orders.orders_place", 40, 9, "sales", 5)
            expect_counts(sums, "inventory.inventory_reserve", 40, 5, "warehouse")
            expect_counts(sums, "payments.payments_charge", 35, 4, "payments", 9)
            expect_counts(sums, "payments.payments_refund", 0, 0, "payments")
            expect_counts(sums, "reports.reports_export_csv", 0, 0, "finance")
            expect_counts(sums, "main.handle_request", 40, 0, "platform")
        else:
            expect("4 coupons rejected" in out, "shop printed %r" % out)
            expect_counts(sums, "shop.shop::coupons::discount", 8, 4, "storefront")
            expect_counts(sums, "shop.shop::checkout", 10, 4, "storefront")


def case_makefile(args):
    src = os.path.join(args.work, "makefile")
    shutil.rmtree(src, ignore_errors=True)
    shutil.copytree(os.path.join(args.source_dir, "examples", "makefile"), src)
    env = clean_env({"PATH": os.path.join(args.prefix, "bin") + ":" + os.environ["PATH"]})
    sh(["make"], cwd=src, env=env)
    out, sums = run_counted(os.path.join(src, "wordfreq"), args.work, "wordfreq", cwd=src)
    expect("11 words" in out, "wordfreq printed %r" % out)
    expect_counts(sums, "words.count_line", 4, 1, "text")
    expect_counts(sums, "words.add_word", 11, 0, "text")
    expect_counts(sums, "wordfreq.main", 1, 0, "cli")
    # The same Makefile builds plainly: nothing in it depends on CodeNSM.
    sh(["make", "clean"], cwd=src)
    sh(["make", "CC=cc"], cwd=src, env=env)


def case_pkg_config(args):
    env = clean_env({"PKG_CONFIG_PATH": os.path.join(args.prefix, "lib", "pkgconfig")})
    cflags = sh(["pkg-config", "--cflags", "codensm"], env=env).stdout.split()
    libs = sh(["pkg-config", "--libs", "codensm"], env=env).stdout.split()
    plugin = os.path.join(args.prefix, "lib", "codensm", "llvm-%s" % args.llvm_major, "CodeNSM.so")
    expect(any(f.startswith("-fpass-plugin=") and os.path.samefile(f.split("=", 1)[1], plugin)
               for f in cflags), "cflags %r do not load %s" % (cflags, plugin))
    expect("-lcodensm" in libs, "libs %r lack -lcodensm" % libs)
    # Where the front end was built, the flags load it (installed next to
    # the plugin, finding it through $ORIGIN), and a system header's
    # function is not instrumented while the unit's own are.
    frontend = os.path.join(os.path.dirname(plugin), "CodeNSMFrontend.so")
    if os.path.exists(frontend):
        expect(any(f.startswith("-fplugin=") and os.path.samefile(f.split("=", 1)[1], frontend)
                   for f in cflags), "cflags %r do not load %s" % (cflags, frontend))
    sysdir = os.path.join(args.work, "pc-sys")
    os.makedirs(sysdir, exist_ok=True)
    with open(os.path.join(sysdir, "vendor.h"), "w") as f:
        f.write('static inline int vendor_id(int x) { return x; }\n')
    src = os.path.join(args.work, "pc.c")
    with open(src, "w") as f:
        f.write('#include <codensm.h>\n#include <vendor.h>\n'
                'CODENSM_ERRORS_WHEN_NONZERO int check(int x) { return vendor_id(x) & 1; }\n'
                'int main(void) { int n = 0; for (int i = 0; i < 6; i++) n += check(i);'
                ' return n == 3 ? 0 : 1; }\n')
    exe = os.path.join(args.work, "pc")
    sh([args.clang] + cflags + ["-O0", "-isystem", sysdir, src, "-o", exe] + libs,
       cwd=args.work, env=env)
    _, sums = run_counted(exe, args.work, "pc")
    expect_counts(sums, "pc.check", 6, 3)
    if os.path.exists(frontend):
        expect(not any("vendor_id" in name for name in sums),
               "a system header's function was instrumented: %r" % sorted(sums))
    else:
        expect_counts(sums, "pc.vendor_id", 6, 0)


def refused(args, compiler, cxx, must_say):
    build = os.path.join(args.work, "refused-" + os.path.basename(compiler))
    shutil.rmtree(build, ignore_errors=True)
    result = sh(["cmake", "-S", os.path.join(args.here, "project"), "-B", build,
                 "-DCMAKE_PREFIX_PATH=" + args.prefix, "-DCMAKE_C_COMPILER=" + compiler,
                 "-DCMAKE_CXX_COMPILER=" + cxx], env=clean_env(), ok=False)
    text = " ".join((result.stdout + result.stderr).split())
    for words in must_say:
        expect(words in text, "the refusal does not say %r:\n%s" % (words, result.stderr))


def case_cmake_package_gcc(args):
    """The same project and figures with gcc and g++: target_codensm makes
    codensm-gcc their launcher (the source rewriter), with the same INCLUDE,
    EXCLUDE and DEPARTMENT."""
    case_cmake_package(args, ("gcc", "g++"))


def case_mixed_refused(args):
    """GCC for C and clang for C++: neither path serves both."""
    refused(args, "gcc", args.clang + "++", ["the C compiler is GNU", "only clang can load",
                                             "or with gcc and g++"])


def case_wrong_major(args):
    installed = {os.path.basename(d)[5:] for d in
                 glob.glob(os.path.join(args.prefix, "lib", "codensm", "llvm-*"))}
    others = [m for m in ("19", "16", "15", "14")
              if m not in installed and shutil.which("clang-" + m)]
    if not others:
        print("no clang without an installed plugin: skipped")
        sys.exit(77)
    m = others[0]
    refused(args, "clang-" + m, "clang++-" + m,
            ["the compiler is clang %s" % m, "installed only for LLVM %s" % args.llvm_major,
             "-DCMAKE_C_COMPILER=clang-%s" % args.llvm_major])


COMPILER_FACTS = """cmake_minimum_required(VERSION 3.13)
project(facts C)
find_package(ZLIB)
message(STATUS "facts: ${CMAKE_C_ABI_COMPILED} ${CMAKE_SIZEOF_VOID_P} "
        "${CMAKE_LIBRARY_ARCHITECTURE} ${ZLIB_FOUND}")
"""


def compiler_facts(args, compiler):
    """What CMake learns of compiler by linking its test programs (with -v:
    its compiler ABI check), and whether find_package then finds zlib."""
    src = os.path.join(args.work, "facts")
    os.makedirs(src, exist_ok=True)
    with open(os.path.join(src, "CMakeLists.txt"), "w") as f:
        f.write(COMPILER_FACTS)
    build = os.path.join(args.work, "facts-" + os.path.basename(compiler))
    shutil.rmtree(build, ignore_errors=True)
    out = sh(["cmake", "-S", src, "-B", build, "-DCMAKE_C_COMPILER=" + compiler],
             env=clean_env()).stdout
    facts = [line.split("facts:", 1)[1].split() for line in out.splitlines()
             if "facts:" in line]
    expect(len(facts) == 1, "no facts line in:\n" + out)
    return facts[0]


def case_compiler_checks(args):
    """A wrapper passes every check a build system makes of its compiler as
    the compiler itself does: CMake's ABI check links with -v, and a
    wrapper that took -v for "no link" left the runtime out, so the check
    failed quietly and CMake knew no library directory (libevent built
    without zlib).  -v alone still prints the version."""
    bindir = os.path.join(args.prefix, "bin")
    pairs = [(args.clang, os.path.join(bindir, "codensm-clang"))]
    if shutil.which("gcc"):
        pairs.append(("gcc", os.path.join(bindir, "codensm-gcc")))
    for plain, wrapper in pairs:
        want = compiler_facts(args, plain)
        expect(want[0] == "TRUE", "%s itself fails CMake's ABI check: %r" % (plain, want))
        got = compiler_facts(args, wrapper)
        expect(got == want, "%s: CMake learns %r, %r with %s" % (wrapper, got, want, plain))
        # -v with an object links, with the runtime; -v alone links nothing.
        src = os.path.join(args.work, "verbose.c")
        with open(src, "w") as f:
            f.write("int twice(int x) { return 2 * x; }\n"
                    "int main(void) { return twice(21) == 42 ? 0 : 1; }\n")
        obj = os.path.join(args.work, "verbose.o")
        exe = os.path.join(args.work, "verbose")
        sh([wrapper, "-O2", "-c", src, "-o", obj], env=clean_env())
        sh([wrapper, "-v", obj, "-o", exe], env=clean_env())
        _, sums = run_counted(exe, args.work, "verbose")
        twice = [name for name in sums if name.endswith("verbose.twice")]
        expect(len(twice) == 1, "verbose.twice not reported: %r" % sorted(sums))
        expect_counts(sums, twice[0], 1)
        version = sh([wrapper, "-v"], env=clean_env())
        expect("version" in version.stderr, "%s -v printed %r" % (wrapper, version.stderr))


EMPTY_DESTRUCTOR = """\
struct Message { virtual ~Message(); int sent = 0; };
Message::~Message() { sent = -1; }
struct Greeting : Message { ~Greeting() override {} };
int main() {
  int sum = 0;
  for (int i = 0; i < 3; i++) { Greeting g; sum += g.sent; }
  return sum;
}
"""


def case_empty_destructors(args):
    """An empty inline destructor, which clang replaces by its base's from
    -O1 up, counts its calls when built through codensm-clang++ and through
    pkg-config's flags, as through target_codensm() (cmake-package): each
    turns clang's constructor aliases off."""
    src = os.path.join(args.work, "empty_dtor.cpp")
    with open(src, "w") as f:
        f.write(EMPTY_DESTRUCTOR)
    env = clean_env({"PKG_CONFIG_PATH": os.path.join(args.prefix, "lib", "pkgconfig")})
    cflags = sh(["pkg-config", "--cflags", "codensm"], env=env).stdout.split()
    libs = sh(["pkg-config", "--libs", "codensm"], env=env).stdout.split()
    builds = {"codensm-clang++": [os.path.join(args.prefix, "bin", "codensm-clang++")],
              "pkg-config": [args.clang + "++"] + cflags}
    for how, compiler in builds.items():
        exe = os.path.join(args.work, "empty_dtor-" + how.replace("+", "x"))
        sh(compiler + ["-O2", src, "-o", exe] + (libs if how == "pkg-config" else []),
           cwd=args.work, env=env)
        _, sums = run_counted(exe, args.work, "empty_dtor-" + how)
        expect("Greeting::~Greeting" in sums, "%s: no row for ~Greeting: %r" % (how, sorted(sums)))
        expect_counts(sums, "Greeting::~Greeting", 3)
        expect_counts(sums, "empty_dtor.Message::~Message", 3)


CASES = {"install": case_install, "empty-destructors": case_empty_destructors, "cmake-package": case_cmake_package,
         "target-selection": case_target_selection,
         "example-service": case_example_service, "makefile": case_makefile,
         "pkg-config": case_pkg_config, "cmake-package-gcc": case_cmake_package_gcc,
         "mixed-refused": case_mixed_refused,
         "wrong-major": case_wrong_major, "compiler-checks": case_compiler_checks,
         "cmake-subdirectory": case_cmake_subdirectory}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--case", required=True, choices=sorted(CASES))
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--clang", required=True)
    parser.add_argument("--llvm-major", required=True)
    args = parser.parse_args()
    args.here = os.path.dirname(os.path.abspath(__file__))
    args.prefix = os.path.join(args.work, "prefix")
    os.makedirs(args.work, exist_ok=True)
    try:
        CASES[args.case](args)
    except Failure as e:
        print("FAIL: %s" % e)
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
