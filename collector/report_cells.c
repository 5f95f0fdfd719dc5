/* SPDX-License-Identifier: Apache-2.0
 *
 * report_cells.c - the cells of the report's text tables; see
 * report_cells.h. */
#include "report_cells.h"

#include <string.h>

/* Formats a time given in ms with the unit that fits its magnitude and
 * three significant figures ("850 ns", "12.4 µs", "3.21 ms", "1.20 s"):
 * most functions take well under a millisecond, which "%.3f ms" showed
 * as 0.000. */
void cnsm_report_time(char *buf, size_t size, double ms) {
  static const char *const units[] = {"ns", "µs", "ms", "s"};
  double v = ms * 1e6;
  size_t u = 0;
  while (u < 3 && v >= 999.5) { /* what would print as 1000 or more */
    v /= 1000;
    u++;
  }
  int decimals = u == 0 || v >= 99.95 ? 0 : v >= 9.995 ? 1 : 2;
  snprintf(buf, size, "%.*f %s", decimals, v, units[u]);
}

/* Prints s right-aligned in width columns, counting characters rather
 * than bytes ("µ" is two bytes and one column). */
void cnsm_report_right(FILE *out, const char *s, int width) {
  int cols = 0;
  for (const char *p = s; *p; p++)
    cols += ((unsigned char)*p & 0xc0) != 0x80;
  fprintf(out, "%*s%s", width > cols ? width - cols : 0, "", s);
}

/* A time as a right-aligned cell of width columns ("-" when negative:
 * not known, as a percentile without a histogram). */
void cnsm_report_time_cell(FILE *out, double ms, int width) {
  char buf[32] = "-";
  if (ms >= 0)
    cnsm_report_time(buf, sizeof buf, ms);
  fputc(' ', out);
  cnsm_report_right(out, buf, width);
}

/* Prints s cut to at most width bytes without splitting a UTF-8
 * character, marking a cut with "~", padded to width. */
void cnsm_report_cell(FILE *out, const char *s, int width) {
  int n = (int)strlen(s);
  if (n <= width) {
    fprintf(out, "%-*s", width, s);
    return;
  }
  int cut = width - 1;
  while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
    cut--;
  fprintf(out, "%.*s~%*s", cut, s, width - 1 - cut, "");
}
