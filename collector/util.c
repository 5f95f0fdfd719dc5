/* SPDX-License-Identifier: Apache-2.0
 *
 * util.c - clocks, durations, UTF-8 validation and the NUL test for the
 * collector.
 *
 * Everything here is a pure function of its arguments (or of the clock):
 * the ingest validator and the CLI lean on it, and the
 * fuzzer reaches the UTF-8 validator through the request parser. */
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Wall-clock seconds since the epoch. */
int64_t cnsm_now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec;
}

/* Monotonic milliseconds, fractional. */
double cnsm_mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Parses a duration such as "15m" into seconds; "all" gives 0. */
int cnsm_parse_duration(const char *text, int64_t *seconds) {
  if (text == NULL)
    return -1;
  if (strcmp(text, "all") == 0) {
    *seconds = 0;
    return 0;
  }
  int64_t n = 0;
  const char *p = text;
  if (*p < '0' || *p > '9')
    return -1;
  while (*p >= '0' && *p <= '9') {
    n = n * 10 + (*p - '0');
    if (n > 100000000)
      return -1; /* ~3 years in seconds: far enough */
    p++;
  }
  int64_t unit;
  switch (*p) {
  case 's':
    unit = 1;
    break;
  case 'm':
    unit = 60;
    break;
  case 'h':
    unit = 3600;
    break;
  case 'd':
    unit = 86400;
    break;
  case 'w':
    unit = 7 * 86400;
    break;
  default:
    return -1;
  }
  if (p[1] != '\0' || n == 0)
    return -1;
  *seconds = n * unit;
  return 0;
}

/* Parses "0" or a duration other than "all"; see util.h. */
int cnsm_parse_until(const char *text, int64_t *seconds) {
  if (text != NULL && strcmp(text, "0") == 0) {
    *seconds = 0;
    return 0;
  }
  if (text == NULL || strcmp(text, "all") == 0)
    return -1;
  return cnsm_parse_duration(text, seconds);
}

int cnsm_json_has_nul(const char *body, size_t len) {
  if (memchr(body, '\0', len))
    return 1;
  for (size_t i = 0; i + 1 < len; i++) {
    if (body[i] != '\\')
      continue;
    if (body[i + 1] == 'u' && len - i >= 6 &&
        memcmp(body + i + 2, "0000", 4) == 0)
      return 1;
    i++; /* the escaped character: "\\u0000" is a backslash and text */
  }
  return 0;
}

/* Strict UTF-8 check (RFC 3629), refusing C0 controls and DEL. */
int cnsm_utf8_valid(const char *s, size_t len) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  while (i < len) {
    unsigned c = p[i];
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7f)
        return 0;
      i++;
      continue;
    }
    size_t need;
    unsigned cp, min;
    if (c >= 0xc2 && c <= 0xdf) {
      need = 1;
      cp = c & 0x1f;
      min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      cp = c & 0x0f;
      min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      cp = c & 0x07;
      min = 0x10000;
    } else
      return 0;
    if (len - i - 1 < need)
      return 0;
    for (size_t k = 1; k <= need; k++) {
      unsigned cc = p[i + k];
      if ((cc & 0xc0) != 0x80)
        return 0;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
      return 0;
    i += need + 1;
  }
  return 1;
}
