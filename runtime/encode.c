/* SPDX-License-Identifier: Apache-2.0
 *
 * encode.c - the ingest body.
 *
 *   {"functions":[{"name":"...","department":"...","value_weight":1,
 *                  "calls":10,"errors":0,"total_ms":1.234567}]}
 *
 * Exactly these six fields leave the process, nothing else.  The body is
 * written directly into one buffer, in one pass: a cJSON tree costs eleven
 * allocations per function and printed a flush of 100,000 functions in
 * ~190 ms of CPU against ~20 ms here (bench/flush).  Strings are escaped
 * as cJSON escapes them (", \, control characters; UTF-8 passes through),
 * and the tests parse every body with cJSON and check its keys.  Counts
 * are exact 64-bit integers, total_ms has nanosecond resolution.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* A growable output buffer. */
struct buf {
  char *p;
  size_t len, cap;
  int failed;
};

/* Grows the buffer for n more bytes; 0 or -1. */
static int grow(struct buf *b, size_t n) {
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + n)
    cap *= 2;
  char *p = realloc(b->p, cap);
  if (!p) {
    b->failed = 1;
    return -1;
  }
  b->p = p;
  b->cap = cap;
  return 0;
}

/* Makes room for n more bytes; 0 or -1. */
static inline int reserve(struct buf *b, size_t n) {
  if (b->failed)
    return -1;
  return b->len + n <= b->cap ? 0 : grow(b, n);
}

/* Appends n bytes; room was reserved. */
static inline void put_unchecked(struct buf *b, const char *s, size_t n) {
  if (n == 0)
    return; /* b->p may still be NULL */
  // reserve() made b->p non-NULL.
  // NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker)
  memcpy(b->p + b->len, s, n);
  b->len += n;
}

#define PUT_LITERAL(b, s) put_unchecked((b), (s), sizeof(s) - 1)

/* "00".."99": two decimal digits at a time. */
static const char digit_pairs[] =
    "00010203040506070809101112131415161718192021222324"
    "25262728293031323334353637383940414243444546474849"
    "50515253545556575859606162636465666768697071727374"
    "75767778798081828384858687888990919293949596979899";

/* Writes v in decimal, two digits at a time, straight into place (its
 * length is counted first); returns the length. */
static size_t format_u64(char *out, uint64_t v) {
  size_t len = 1;
  for (uint64_t power = 10; len < 20 && v >= power; power *= 10)
    len++;
  char *o = out + len;
  *o = '\0';
  while (v >= 100) {
    unsigned d = (unsigned)(v % 100) * 2;
    v /= 100;
    *--o = digit_pairs[d + 1];
    *--o = digit_pairs[d];
  }
  if (v >= 10) {
    *--o = digit_pairs[v * 2 + 1];
    *--o = digit_pairs[v * 2];
  } else {
    *--o = (char)('0' + v);
  }
  return len;
}

/* ns as milliseconds with up to six decimals, trailing zeros dropped;
 * returns the length. */
static size_t format_ms(char *out, uint64_t ns) {
  size_t n = format_u64(out, ns / 1000000);
  unsigned frac = (unsigned)(ns % 1000000);
  if (!frac)
    return n;
  out[n++] = '.';
  memcpy(out + n, digit_pairs + 2 * (frac / 10000), 2);
  memcpy(out + n + 2, digit_pairs + 2 * (frac / 100 % 100), 2);
  memcpy(out + n + 4, digit_pairs + 2 * (frac % 100), 2);
  size_t len = 6;
  while (out[n + len - 1] == '0')
    len--;
  n += len;
  out[n] = '\0';
  return n;
}

void cnsm_format_ms(char *out, uint64_t ns) { format_ms(out, ns); }

/* Appends a number; room was reserved. */
static void put_u64(struct buf *b, uint64_t v) {
  b->len += format_u64(b->p + b->len, v);
}

/* Appends s (n bytes) as a JSON string; room for 6n+2 was reserved.  Runs
 * of bytes that need no escape, nearly always the whole name, are copied
 * at once. */
static void put_string(struct buf *b, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  char *o = b->p + b->len;
  *o++ = '"';
  const unsigned char *c = (const unsigned char *)s, *end = c + n;
  while (c < end) {
    const unsigned char *run = c;
    while (c < end && *c >= 0x20 && *c != '"' && *c != '\\')
      c++;
    memcpy(o, run, (size_t)(c - run));
    o += c - run;
    if (c == end)
      break;
    *o++ = '\\';
    switch (*c) {
    case '"':
      *o++ = '"';
      break;
    case '\\':
      *o++ = '\\';
      break;
    case '\b':
      *o++ = 'b';
      break;
    case '\f':
      *o++ = 'f';
      break;
    case '\n':
      *o++ = 'n';
      break;
    case '\r':
      *o++ = 'r';
      break;
    case '\t':
      *o++ = 't';
      break;
    default:
      *o++ = 'u';
      *o++ = '0';
      *o++ = '0';
      *o++ = hex[*c >> 4];
      *o++ = hex[*c & 15];
    }
    c++;
  }
  *o++ = '"';
  b->len = (size_t)(o - b->p);
}

/* Appends the constant part of one function's object: its name,
 * department and weight, up to the calls value. */
static void put_head(struct buf *b, const char *name, const char *department,
                     uint32_t weight) {
  size_t name_len = strlen(name), dept_len = strlen(department);
  if (reserve(b, 6 * (name_len + dept_len) + 64) != 0)
    return;
  PUT_LITERAL(b, "{\"name\":");
  put_string(b, name, name_len);
  PUT_LITERAL(b, ",\"department\":");
  put_string(b, department, dept_len);
  PUT_LITERAL(b, ",\"value_weight\":");
  put_u64(b, weight);
  PUT_LITERAL(b, ",\"calls\":");
}

char *cnsm_encode_head(const char *name, const char *department,
                       uint32_t weight, size_t *len) {
  struct buf b = {0};
  put_head(&b, name, department, weight);
  if (b.failed) {
    free(b.p);
    return NULL;
  }
  *len = b.len;
  return b.p;
}

/* Appends one function's object (after a comma unless it is the first):
 * the head cached in its table entry, then the three deltas. */
static void put_function(struct buf *b, const struct cnsm_delta *d, int first) {
  if (!first && reserve(b, 1) == 0)
    PUT_LITERAL(b, ",");
  if (d->json_head) {
    if (reserve(b, d->json_head_len) == 0)
      put_unchecked(b, d->json_head, d->json_head_len);
  } else { /* the head could not be cached (out of memory) */
    put_head(b, d->name, d->department, d->weight);
  }
  if (reserve(b, 96) != 0)
    return;
  put_u64(b, d->calls + d->pend_calls);
  PUT_LITERAL(b, ",\"errors\":");
  put_u64(b, d->errors + d->pend_errors);
  PUT_LITERAL(b, ",\"total_ms\":");
  b->len += format_ms(b->p + b->len, d->ns + d->pend_ns);
  PUT_LITERAL(b, "}");
}

/* The buffer bodies are built in, kept between flushes so a large program
 * does not fault in fresh pages every time.  Flush lock held. */
static struct buf body;

/* The whole body for d[0..n), NUL-ended, valid until the next call. */
const char *cnsm_encode(const struct cnsm_delta *d, size_t n) {
  struct buf b = body;
  b.len = 0;
  b.failed = 0;
  if (reserve(&b, 32 + n * 128) == 0)
    PUT_LITERAL(&b, "{\"functions\":[");
  for (size_t i = 0; i < n && !b.failed; i++)
    put_function(&b, &d[i], i == 0);
  if (reserve(&b, 3) == 0)
    put_unchecked(&b, "]}", 3); /* with the terminating NUL */
  if (b.failed) {
    free(b.p);
    body = (struct buf){0};
    return NULL;
  }
  body = b;
  return b.p;
}
