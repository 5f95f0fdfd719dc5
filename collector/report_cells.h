/* SPDX-License-Identifier: Apache-2.0
 *
 * report_cells.h - the cells of the report's text tables: times in the
 * unit that fits, right alignment counted in characters, names cut to a
 * width.  Shared by the report (report.c) and its comparison of two
 * windows (report_compare.c), so both read the same. */
#ifndef CNSM_REPORT_CELLS_H
#define CNSM_REPORT_CELLS_H

#include <stddef.h>
#include <stdio.h>

/* Formats a time given in ms with the unit that fits and three
 * significant figures: "850 ns", "12.4 µs", "3.21 ms", "1.20 s". */
void cnsm_report_time(char *buf, size_t size, double ms);

/* Prints s right-aligned in width columns (characters, not bytes). */
void cnsm_report_right(FILE *out, const char *s, int width);

/* A space and a time right-aligned in width columns ("-" when negative:
 * not known, as a percentile without a histogram). */
void cnsm_report_time_cell(FILE *out, double ms, int width);

/* Prints s cut to at most width bytes without splitting a UTF-8
 * character, marking a cut with "~", padded to width. */
void cnsm_report_cell(FILE *out, const char *s, int width);

#endif
