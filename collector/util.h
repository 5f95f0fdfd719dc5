/* SPDX-License-Identifier: Apache-2.0
 *
 * util.h - small helpers shared by the collector: clocks, durations,
 * UTF-8 validation.  No state.  (Constant-time comparison is nettle's
 * memeql_sec.) */
#ifndef CNSM_UTIL_H
#define CNSM_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Wall-clock time in whole seconds since the Unix epoch. */
int64_t cnsm_now_s(void);

/* Monotonic time in milliseconds, for measuring request durations. */
double cnsm_mono_ms(void);

/* Parses "90s", "15m", "24h", "7d", "2w" (a positive integer and a unit)
 * or "all" (stored as 0: no lower bound) into seconds.  Returns 0 on
 * success, -1 if the text is not a duration. */
int cnsm_parse_duration(const char *text, int64_t *seconds);

/* Parses how long ago a window ends: "0" (now) or a duration as above
 * but not "all" (a window cannot end at the beginning of time).
 * Returns 0 with *seconds, or -1 if the text is neither. */
int cnsm_parse_until(const char *text, int64_t *seconds);

/* Returns 1 if s[0..len) is well-formed UTF-8 (no overlong forms, no
 * surrogates, nothing above U+10FFFF) and holds no control character
 * below U+0020 or DEL; 0 otherwise. */
int cnsm_utf8_valid(const char *s, size_t len);

/* Returns 1 if the JSON text body[0..len) holds a NUL, as a byte or as
 * the escape \u0000: cJSON's strings end at the first, so the rest of a
 * name would be lost and it would be taken for another ("a\u0000b" for
 * "a"); 0 otherwise. */
int cnsm_json_has_nul(const char *body, size_t len);

#endif
