#!/usr/bin/env python3
"""gen_growth.py KIND N - one C translation unit of N small functions, for
bench/compile/run's compile-time growth (1,000 against 10,000 functions).

  oneline  int fK(int x) { return x * K + 1; } -- and every tenth function
           calls the two before it, so not everything is a leaf.
  small    a few statements and a branch on a struct pointer, loop-free and
           a leaf, 49 to 55 instructions as the front end emits them: more
           than the trivial-function policy's 32, so the policy leaves it
           instrumented; again every tenth calls the two before it.

Deterministic; writes the TU to stdout."""
import sys

ONELINE = "int f{k}(int x) {{ return x * {c} + 1; }}\n"
ONELINE_CALLER = "int f{k}(int x) {{ return f{a}(x) + f{b}(x + {c}); }}\n"

SMALL = """int f{k}(struct rec *p, int x) {{
  int t = p->a * {c} + x;
  int u = p->b ^ (t >> 3);
  if (t > u) {{
    p->c += t - u;
    p->d = u * 3 + {c};
  }} else {{
    p->c -= u - t;
    p->d = t * 5 - {c};
  }}
  p->e = (p->c & 0xff) | (p->d << 8);
  return p->a + p->b + p->c + p->d + p->e;
}}
"""
SMALL_CALLER = """int f{k}(struct rec *p, int x) {{
  int r = f{a}(p, x);
  return r + f{b}(p, x + {c});
}}
"""


def generate(kind, n):
    parts = []
    if kind == "small":
        parts.append("struct rec { int a, b, c, d, e; };\n")
    one, caller = (ONELINE, ONELINE_CALLER) if kind == "oneline" else (SMALL, SMALL_CALLER)
    for k in range(n):
        c = k % 97 + 2
        if k % 10 == 9:
            parts.append(caller.format(k=k, a=k - 1, b=k - 2, c=c))
        else:
            parts.append(one.format(k=k, c=c))
    return "".join(parts)


def callers(n):
    """How many functions of a TU of n call others (never trivial)."""
    return sum(1 for k in range(n) if k % 10 == 9)


if __name__ == "__main__":
    sys.stdout.write(generate(sys.argv[1], int(sys.argv[2])))
