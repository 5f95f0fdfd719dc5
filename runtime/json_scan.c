/* SPDX-License-Identifier: Apache-2.0
 *
 * json_scan.c - reading JSON text in place: a cursor that checks and
 * skips values, steps through objects and arrays, and decodes the strings
 * and numbers it is asked for, allocating nothing.
 *
 * A forking server's parent reads one deltas file for each of its
 * children (spool.c): 377 KB for a PostgreSQL backend's 1,737 functions.
 * As a cJSON tree, its tens of thousands of nodes were allocated and
 * freed, and in a process that has just forked every heap page written is
 * copied: parsing, freeing and the allocator's consolidation were 60 % of
 * a postmaster's CPU, some 9 ms a connection.  Strict JSON (RFC 8259),
 * nesting at most CNSM_JSON_DEPTH deep; nothing read is trusted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Nesting deeper than any spool file's (4 levels): a file nested deeper
 * is not ours. */
#define CNSM_JSON_DEPTH 32

static void skip_space(struct cnsm_json *j) {
  while (j->p < j->end &&
         (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
    j->p++;
}

int cnsm_json_peek(struct cnsm_json *j) {
  skip_space(j);
  return j->p < j->end ? (unsigned char)*j->p : -1;
}

static int hex4(const char *p, unsigned *out) {
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    char c = p[i];
    v <<= 4;
    if (c >= '0' && c <= '9')
      v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f')
      v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      v |= (unsigned)(c - 'A' + 10);
    else
      return -1;
  }
  *out = v;
  return 0;
}

/* Appends byte c to out (cap bytes, *n used), dropping what does not
 * fit before the NUL. */
static void put(char *out, size_t cap, size_t *n, char c) {
  if (out && *n + 1 < cap)
    out[*n] = c;
  (*n)++;
}

/* A \u escape at p (after the backslash's 'u'), with its low surrogate
 * when it is a high one, as UTF-8; the characters it used, or -1. */
static int escape_u(const char *p, const char *end, char *out, size_t cap,
                    size_t *n) {
  unsigned cp, lo;
  if (end - p < 4 || hex4(p, &cp) != 0)
    return -1;
  int used = 4;
  if (cp >= 0xDC00 && cp <= 0xDFFF)
    return -1; /* a low surrogate alone */
  if (cp >= 0xD800 && cp <= 0xDBFF) {
    if (end - p < 10 || p[4] != '\\' || p[5] != 'u' || hex4(p + 6, &lo) != 0 ||
        lo < 0xDC00 || lo > 0xDFFF)
      return -1;
    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
    used = 10;
  }
  if (cp < 0x80) {
    put(out, cap, n, (char)cp);
  } else if (cp < 0x800) {
    put(out, cap, n, (char)(0xC0 | (cp >> 6)));
    put(out, cap, n, (char)(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    put(out, cap, n, (char)(0xE0 | (cp >> 12)));
    put(out, cap, n, (char)(0x80 | ((cp >> 6) & 0x3F)));
    put(out, cap, n, (char)(0x80 | (cp & 0x3F)));
  } else {
    put(out, cap, n, (char)(0xF0 | (cp >> 18)));
    put(out, cap, n, (char)(0x80 | ((cp >> 12) & 0x3F)));
    put(out, cap, n, (char)(0x80 | ((cp >> 6) & 0x3F)));
    put(out, cap, n, (char)(0x80 | (cp & 0x3F)));
  }
  return used;
}

/* A string at the cursor, decoded into out (cap bytes, NULL: checked
 * only); 0 or -1. */
static int scan_string(struct cnsm_json *j, char *out, size_t cap) {
  if (cnsm_json_peek(j) != '"')
    return -1;
  size_t n = 0;
  for (const char *p = j->p + 1; p < j->end;) {
    char c = *p++;
    if (c == '"') {
      if (out && cap)
        out[n < cap ? n : cap - 1] = '\0';
      j->p = p;
      return 0;
    }
    if (c != '\\') {
      put(out, cap, &n, c);
      continue;
    }
    if (p >= j->end)
      return -1;
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *e = strchr(from, *p);
    if (*p && e) {
      put(out, cap, &n, to[e - from]);
      p++;
    } else if (*p == 'u') {
      int used = escape_u(p + 1, j->end, out, cap, &n);
      if (used < 0)
        return -1;
      p += 1 + used;
    } else {
      return -1;
    }
  }
  return -1; /* no closing quote */
}

static int digits(struct cnsm_json *j) {
  const char *start = j->p;
  while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
    j->p++;
  return j->p > start ? 0 : -1;
}

/* A number at the cursor, checked and passed; its text is [*start, j->p). */
static int scan_number(struct cnsm_json *j, const char **start) {
  skip_space(j);
  *start = j->p;
  if (j->p < j->end && *j->p == '-')
    j->p++;
  if (j->p < j->end && *j->p == '0')
    j->p++;
  else if (digits(j) != 0)
    return -1;
  if (j->p < j->end && *j->p == '.') {
    j->p++;
    if (digits(j) != 0)
      return -1;
  }
  if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
    j->p++;
    if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
      j->p++;
    if (digits(j) != 0)
      return -1;
  }
  return 0;
}

static int literal(struct cnsm_json *j, const char *word) {
  size_t len = strlen(word);
  if ((size_t)(j->end - j->p) < len || memcmp(j->p, word, len) != 0)
    return -1;
  j->p += len;
  return 0;
}

static int skip_value(struct cnsm_json *j, int depth);

/* The rest of an object or array after its opening character. */
static int skip_members(struct cnsm_json *j, char close, int depth) {
  int first = 1, more;
  while ((more = cnsm_json_member(j, close, &first, NULL, 0)) == 1)
    if (skip_value(j, depth + 1) != 0)
      return -1;
  return more;
}

static int skip_value(struct cnsm_json *j, int depth) {
  const char *start;
  if (depth > CNSM_JSON_DEPTH)
    return -1;
  switch (cnsm_json_peek(j)) {
  case '"':
    return scan_string(j, NULL, 0);
  case '{':
  case '[': {
    char close = *j->p == '{' ? '}' : ']';
    j->p++;
    return skip_members(j, close, depth);
  }
  case 't':
    return literal(j, "true");
  case 'f':
    return literal(j, "false");
  case 'n':
    return literal(j, "null");
  default:
    return scan_number(j, &start);
  }
}

int cnsm_json_skip(struct cnsm_json *j) { return skip_value(j, 0); }

int cnsm_json_open(struct cnsm_json *j, char open) {
  if (cnsm_json_peek(j) != open)
    return -1;
  j->p++;
  return 0;
}

int cnsm_json_member(struct cnsm_json *j, char close, int *first, char *key,
                     size_t key_cap) {
  int c = cnsm_json_peek(j);
  if (c == close) {
    j->p++;
    return 0;
  }
  if (!*first) {
    if (c != ',')
      return -1;
    j->p++;
  }
  *first = 0;
  if (close != '}')
    return 1;
  if (scan_string(j, key, key_cap) != 0 || cnsm_json_peek(j) != ':')
    return -1;
  j->p++;
  return 1;
}

int cnsm_json_string(struct cnsm_json *j, char *out, size_t cap) {
  if (cnsm_json_peek(j) == '"')
    return scan_string(j, out, cap);
  (void)skip_value(j, 0);
  return -1;
}

int cnsm_json_number(struct cnsm_json *j, struct cnsm_json_number *out) {
  *out = (struct cnsm_json_number){0, 0};
  int c = cnsm_json_peek(j);
  if (c != '-' && (c < '0' || c > '9')) {
    (void)skip_value(j, 0);
    return -1;
  }
  const char *start;
  if (scan_number(j, &start) != 0)
    return -1;
  size_t len = (size_t)(j->p - start), digits_len = 0;
  while (digits_len < len && start[digits_len] >= '0' &&
         start[digits_len] <= '9')
    digits_len++;
  if (digits_len == len) { /* an integer: exact */
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
      unsigned d = (unsigned)(start[i] - '0');
      v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
    }
    out->value = (double)v;
    out->count = v;
    return 0;
  }
  char text[64];
  snprintf(text, sizeof text, "%.*s", (int)len, start);
  out->value = strtod(text, NULL);
  out->count = !(out->value >= 1)    ? 0
               : out->value < 1.8e19 ? (uint64_t)out->value
                                     : UINT64_MAX;
  return 0;
}
