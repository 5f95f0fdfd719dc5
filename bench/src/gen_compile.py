#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""gen_compile.py DIR [FILES=100] - writes FILES C files of about 300 lines
each (structs, loops, switches, string handling, calls between functions
and into libc) for the compile-time benchmark.  Deterministic."""
import os
import sys

TEMPLATE = """
struct rec{f}_{i} {{ int id; double v[8]; char name[32]; struct rec{f}_{i} *next; }};

static int cmp{f}_{i}(const void *a, const void *b) {{
  const struct rec{f}_{i} *x = a, *y = b;
  if (x->id != y->id)
    return x->id < y->id ? -1 : 1;
  return strcmp(x->name, y->name);
}}

double stats{f}_{i}(struct rec{f}_{i} *r, int n, int mode) {{
  double s = 0, m = 0;
  for (int k = 0; k < n; k++) {{
    for (int j = 0; j < 8; j++) {{
      double v = r[k].v[j] * {c} + j;
      switch ((mode + j) & 3) {{
      case 0: s += v; break;
      case 1: s -= v / (j + 1); break;
      case 2: m = v > m ? v : m; break;
      default: s += sqrt(v < 0 ? -v : v);
      }}
    }}
    if (r[k].next && r[k].next->id == r[k].id)
      s += stats{f}_{i}(r[k].next, 1, mode + 1);
  }}
  qsort(r, (size_t)n, sizeof *r, cmp{f}_{i});
  return s + m;
}}

int parse{f}_{i}(const char *text, struct rec{f}_{i} *out, int cap) {{
  int n = 0;
  while (*text && n < cap) {{
    const char *end = strchr(text, ',');
    size_t len = end ? (size_t)(end - text) : strlen(text);
    if (len >= sizeof out[n].name)
      return -1;
    memcpy(out[n].name, text, len);
    out[n].name[len] = 0;
    out[n].id = (int)(len * {c}) % 97;
    for (int j = 0; j < 8; j++)
      out[n].v[j] = atof(text) + j * 0.5;
    out[n].next = n ? &out[n - 1] : NULL;
    n++;
    text = end ? end + 1 : text + len;
  }}
  return n;
}}

int report{f}_{i}(FILE *f, const char *text) {{
  struct rec{f}_{i} buf[16];
  int n = parse{f}_{i}(text, buf, 16);
  if (n < 0) {{
    fprintf(f, "bad input %s\\n", text);
    return -1;
  }}
  double s = stats{f}_{i}(buf, n, {c});
  for (int k = 0; k < n; k++)
    fprintf(f, "%d %s %.3f\\n", buf[k].id, buf[k].name, buf[k].v[k & 7]);
  return fprintf(f, "total %.3f\\n", s) > 0 ? n : -1;
}}
"""

def main():
    out = sys.argv[1]
    files = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    os.makedirs(out, exist_ok=True)
    for f in range(files):
        parts = ["#include <math.h>\n#include <stdio.h>\n#include <stdlib.h>\n"
                 "#include <string.h>\n"]
        for i in range(4):
            parts.append(TEMPLATE.format(f=f, i=i, c=(f * 7 + i) % 11 + 2))
        parts.append("int entry%d(FILE *f, const char *t) {\n"
                     "  return report%d_0(f, t) + report%d_1(f, t) +\n"
                     "         report%d_2(f, t) + report%d_3(f, t);\n}\n"
                     % (f, f, f, f, f))
        with open(os.path.join(out, "unit%03d.c" % f), "w") as fh:
            fh.write("".join(parts))

main()
