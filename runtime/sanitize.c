/* SPDX-License-Identifier: Apache-2.0
 *
 * sanitize.c - makes names, departments and weights valid for the ingest
 * contract before they enter the function table, whatever their source
 * (the pass's descriptor, CODENSM_DEPARTMENTS / CODENSM_WEIGHTS,
 * codensm_init, a spool file).
 *
 * The collector refuses a whole request for one bad field (400), so one
 * name made of a source path with a Latin-1 byte, or a 300-byte department,
 * used to stop every delivery of the process and of every later one that
 * loaded its spool.  The contract (docs/ingest-contract.md) wants strings
 * of 1..512 bytes (name) or 1..128 bytes (department) of strict UTF-8
 * without C0 controls or DEL, and a weight of at most 1,000,000.  Here an
 * invalid byte becomes U+FFFD, a control character too, a string is cut
 * on a UTF-8 boundary, an empty name becomes "?" and an empty department
 * "unassigned" (what the collector calls a function with none).
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char replacement[] = "\xEF\xBF\xBD"; /* U+FFFD */

/* Length of the valid UTF-8 sequence (not a control) at s[0..left), or 0. */
static size_t valid_sequence(const unsigned char *s, size_t left) {
  unsigned c = s[0];
  if (c < 0x80)
    return c >= 0x20 && c != 0x7f ? 1 : 0;
  size_t need;
  unsigned cp, min;
  if (c >= 0xc2 && c <= 0xdf) {
    need = 1, cp = c & 0x1f, min = 0x80;
  } else if (c >= 0xe0 && c <= 0xef) {
    need = 2, cp = c & 0x0f, min = 0x800;
  } else if (c >= 0xf0 && c <= 0xf4) {
    need = 3, cp = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (left - 1 < need)
    return 0;
  for (size_t k = 1; k <= need; k++) {
    if ((s[k] & 0xc0) != 0x80)
      return 0;
    cp = (cp << 6) | (s[k] & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return need + 1;
}

/* A malloc'd copy of s that is valid UTF-8 of 1..max bytes (max >= 3);
 * fallback when s is empty or NULL.  Sets *changed when it differs from
 * s.  NULL when out of memory. */
char *cnsm_sanitize_string(const char *s, size_t max, const char *fallback,
                           int *changed) {
  if (!s || !*s) {
    *changed = s != NULL;
    return strdup(fallback);
  }
  size_t len = strlen(s);
  char *out = malloc((len * 3 < max ? len * 3 : max) + 1);
  if (!out)
    return NULL;
  const unsigned char *p = (const unsigned char *)s;
  /* Printable ASCII, as nearly every name and path is, is copied whole:
   * checked a sequence at a time, registering 2,400 functions took SQLite
   * some 10 million instructions at start. */
  size_t ascii = 0;
  while (ascii < len && p[ascii] >= 0x20 && p[ascii] < 0x7f)
    ascii++;
  size_t o = ascii < max ? ascii : max;
  memcpy(out, s, o);
  *changed = o < ascii; /* cut: nothing more fits */
  for (size_t i = *changed ? len : o; i < len;) {
    size_t n = valid_sequence(p + i, len - i);
    const char *piece = n ? s + i : replacement;
    size_t piece_len = n ? n : 3;
    if (o + piece_len > max) { /* cut whole sequences only */
      *changed = 1;
      break;
    }
    memcpy(out + o, piece, piece_len);
    o += piece_len;
    i += n ? n : 1;
    *changed |= n == 0;
  }
  out[o] = '\0';
  return out;
}

/* weight, at most the contract's maximum. */
uint32_t cnsm_sanitize_weight(uint64_t weight) {
  return weight > CNSM_WEIGHT_MAX ? CNSM_WEIGHT_MAX : (uint32_t)weight;
}
