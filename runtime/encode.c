/* SPDX-License-Identifier: Apache-2.0
 *
 * encode.c - the ingest body.
 *
 *   {"functions":[{"name":"...","department":"...","value_weight":1,
 *                  "calls":10,"errors":0,"total_ms":1.234567}]}
 *
 * Exactly these six fields leave the process, nothing else, unless the
 * receiver asked for extensions (docs/ingest-contract.md): then "hist"
 * (the timed calls' buckets), "file", "line", "root_causes" and
 * "callers" too.  The body
 * is written directly into one buffer, in one pass: a cJSON tree costs eleven
 * allocations per function and printed a flush of 100,000 functions in
 * ~190 ms of CPU against ~20 ms here (bench/flush).  Strings are escaped
 * as cJSON escapes them (", \, control characters; UTF-8 passes through),
 * and the tests parse every body with cJSON and check its keys.  Counts
 * are exact 64-bit integers, total_ms has nanosecond resolution.
 *
 * Each function's head (its name, department and weight, escaped) is
 * kept between flushes, by table index, and copied, so a flush does not
 * escape every name again (docs/performance.md).  A kept head is used
 * only while the delta's name, department and weight are the ones it was
 * written from, compared by content: a department or weight changed by
 * codensm_init rebuilds it, and a string freed and its address reused
 * can never bring back another function's head.  Only heads whose
 * strings needed no escape are kept (every name but one with a quote or
 * a backslash: sanitize.c turns control characters into U+FFFD), so the
 * comparison reads the head's own text.
 *
 * The kept heads and the body's buffer belong to whoever holds the flush
 * lock (flusher.c, the only caller).  fork() does not wait for that lock,
 * so a child may copy them half changed: its handler forgets them.
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

/* Whether byte c goes into a JSON string as it is. */
static inline int is_plain(unsigned char c) {
  return c >= 0x20 && c != '"' && c != '\\';
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
    while (c < end && is_plain(*c))
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
static void put_head(struct buf *b, const char *name, size_t name_len,
                     const char *department, size_t dept_len, uint32_t weight) {
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

/* A kept head: text (malloc'd, len bytes, not NUL-ended) is
 * {"name":"<name>","department":"<department>","value_weight":<weight>,
 * "calls": with name and department verbatim; NULL when none is kept. */
struct head {
  char *text;
  uint32_t len, name_len, dept_len, weight;
};

#define NAME_AT (sizeof "{\"name\":\"" - 1)
#define DEPT_AFTER_NAME (sizeof "\",\"department\":\"" - 1)

/* Kept heads by table index; heads_cap of them.  Flush lock held, as for
 * the body. */
static struct head *heads;
static size_t heads_cap;

/* Whether s[0..n) holds no byte that needs an escape. */
static int all_plain(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!is_plain((unsigned char)s[i]))
      return 0;
  return 1;
}

/* Whether the NUL-ended s is exactly the n bytes at text.  strncmp stops
 * at s's end, so a shorter s is never read past. */
static int same_text(const char *text, size_t n, const char *s) {
  return strncmp(text, s, n) == 0 && s[n] == '\0';
}

/* Whether h is kept and was written from d's name, department and
 * weight. */
static int head_matches(const struct head *h, const struct cnsm_delta *d) {
  if (!h->text || h->weight != d->weight)
    return 0;
  const char *name = h->text + NAME_AT;
  return same_text(name, h->name_len, d->name) &&
         same_text(name + h->name_len + DEPT_AFTER_NAME, h->dept_len,
                   d->department);
}

/* The head of table index i, the array grown to hold it; NULL when out of
 * memory. */
static struct head *head_at(size_t i) {
  if (i < heads_cap)
    return &heads[i];
  size_t cap = heads_cap ? heads_cap : 256;
  while (cap <= i)
    cap *= 2;
  struct head *grown = realloc(heads, cap * sizeof *grown);
  if (!grown)
    return NULL;
  memset(grown + heads_cap, 0, (cap - heads_cap) * sizeof *grown);
  heads = grown;
  heads_cap = cap;
  return &heads[i];
}

/* Keeps in h the head of d just written (len bytes at text), when its
 * strings needed no escape and memory allows. */
static void head_keep(struct head *h, const struct cnsm_delta *d,
                      size_t name_len, size_t dept_len, const char *text,
                      size_t len) {
  if (len > UINT32_MAX || !all_plain(d->name, name_len) ||
      !all_plain(d->department, dept_len))
    return;
  h->text = malloc(len);
  if (!h->text)
    return;
  memcpy(h->text, text, len);
  h->len = (uint32_t)len;
  h->name_len = (uint32_t)name_len;
  h->dept_len = (uint32_t)dept_len;
  h->weight = d->weight;
}

/* Appends d's head: the kept one when it still matches, else written anew
 * (and kept for the next flush). */
static void put_function_head(struct buf *b, const struct cnsm_delta *d) {
  struct head *h = head_at(d->index);
  if (h && head_matches(h, d)) {
    if (reserve(b, h->len) == 0)
      put_unchecked(b, h->text, h->len);
    return;
  }
  if (h) { /* none yet, or stale: a department or weight changed */
    free(h->text);
    h->text = NULL;
  }
  size_t at = b->len, name_len = strlen(d->name),
         dept_len = strlen(d->department);
  put_head(b, d->name, name_len, d->department, dept_len, d->weight);
  if (h && !b->failed)
    head_keep(h, d, name_len, dept_len, b->p + at, b->len - at);
}

/* The largest integer a JSON number holds exactly (the contract's). */
#define JSON_INT_MAX ((UINT64_C(1) << 53) - 1)

/* Appends ,"hist":[[bucket,count],...] for d's timed calls. */
static void put_histogram(struct buf *b, const struct cnsm_delta *d) {
  if (reserve(b, 16 + d->hist_n * 48) != 0)
    return;
  PUT_LITERAL(b, ",\"hist\":[");
  for (size_t i = 0; i < d->hist_n; i++) {
    if (i)
      PUT_LITERAL(b, ",");
    PUT_LITERAL(b, "[");
    b->len += format_u64(b->p + b->len, d->hist[i].bucket);
    PUT_LITERAL(b, ",");
    /* The contract's integers stop at 2^53 - 1: a saturated bucket says
     * "at least" rather than being refused. */
    uint64_t c = d->hist[i].count;
    b->len += format_u64(b->p + b->len, c < JSON_INT_MAX ? c : JSON_INT_MAX);
    PUT_LITERAL(b, "]");
  }
  PUT_LITERAL(b, "]");
}

/* Appends ,"<field>":[{"name":"...","<count>":N},...] for n names and
 * their pairs' counts: a function's root causes or callers. */
static void put_named_counts(struct buf *b, const char *field,
                             const char *count, const char *const *names,
                             const struct cnsm_hist_pair *pairs, size_t n) {
  size_t field_len = strlen(field), count_len = strlen(count);
  if (reserve(b, field_len + 8) != 0)
    return;
  PUT_LITERAL(b, ",\"");
  put_unchecked(b, field, field_len);
  PUT_LITERAL(b, "\":[");
  for (size_t i = 0; i < n; i++) {
    size_t len = strlen(names[i]);
    if (reserve(b, 6 * len + count_len + 48) != 0)
      return;
    if (i)
      PUT_LITERAL(b, ",");
    PUT_LITERAL(b, "{\"name\":");
    put_string(b, names[i], len);
    PUT_LITERAL(b, ",\"");
    put_unchecked(b, count, count_len);
    PUT_LITERAL(b, "\":");
    uint64_t c = pairs[i].count;
    put_u64(b, c < JSON_INT_MAX ? c : JSON_INT_MAX);
    PUT_LITERAL(b, "}");
  }
  if (reserve(b, 1) == 0)
    PUT_LITERAL(b, "]");
}

/* Appends ,"file":"...","line":N. */
static void put_source(struct buf *b, const struct cnsm_delta *d) {
  size_t len = strlen(d->file);
  if (reserve(b, 6 * len + 48) != 0)
    return;
  PUT_LITERAL(b, ",\"file\":");
  put_string(b, d->file, len);
  PUT_LITERAL(b, ",\"line\":");
  put_u64(b, d->line);
}

/* What a function's object is written for: the ingest body, or a deltas
 * file (spool.c), whose time is exact, in ns, and whose errors are no
 * more than its calls, as its reader takes them. */
enum form { INGEST_BODY, DELTAS_FILE };

/* Appends one function's object (after a comma unless it is the first):
 * its head, then the three deltas, then the extensions asked for. */
static void put_function(struct buf *b, const struct cnsm_delta *d, int first,
                         unsigned extensions, enum form form) {
  if (!first && reserve(b, 1) == 0)
    PUT_LITERAL(b, ",");
  if (form == INGEST_BODY)
    put_function_head(b, d);
  else /* the kept heads are the flush lock's, which a spooler may not hold */
    put_head(b, d->name, strlen(d->name), d->department, strlen(d->department),
             d->weight);
  if (reserve(b, 96) != 0)
    return;
  uint64_t calls = d->calls + d->pend_calls;
  uint64_t errors = d->errors + d->pend_errors;
  put_u64(b, calls);
  PUT_LITERAL(b, ",\"errors\":");
  if (form == INGEST_BODY) {
    put_u64(b, errors);
    PUT_LITERAL(b, ",\"total_ms\":");
    b->len += format_ms(b->p + b->len, d->ns + d->pend_ns);
  } else {
    put_u64(b, errors < calls ? errors : calls);
    PUT_LITERAL(b, ",\"total_ns\":");
    put_u64(b, d->ns + d->pend_ns);
  }
  if ((extensions & CNSM_EXT_HISTOGRAM) && d->hist_n)
    put_histogram(b, d);
  if ((extensions & CNSM_EXT_SOURCE) && d->file && d->line)
    put_source(b, d);
  if ((extensions & CNSM_EXT_CAUSES) && d->causes_n)
    put_named_counts(b, "root_causes", "errors", d->cause_names, d->causes,
                     d->causes_n);
  if ((extensions & CNSM_EXT_CALLERS) && d->callers_n)
    put_named_counts(b, "callers", "calls", d->caller_names, d->callers,
                     d->callers_n);
  if (reserve(b, 1) == 0)
    PUT_LITERAL(b, "}");
}

/* The buffer bodies are built in, kept between flushes so a large program
 * does not fault in fresh pages every time.  Flush lock held. */
static struct buf body;

/* Fork child: the parent's flusher may have been changing the heads or the
 * body; the child starts without them (the parent's copies are leaked:
 * nothing in the child can tell whether they are whole). */
static void fork_child(void) {
  heads = NULL;
  heads_cap = 0;
  body = (struct buf){0};
}

static void install_fork_handlers(void) {
  pthread_atfork(NULL, NULL, fork_child);
}

void cnsm_encode_init_once(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, install_fork_handlers);
}

/* Appends the functions of d[0..n) in form, and ends the array and the
 * object with a NUL. */
static void put_functions(struct buf *b, const struct cnsm_delta *d, size_t n,
                          unsigned extensions, enum form form) {
  for (size_t i = 0; i < n && !b->failed; i++)
    put_function(b, &d[i], i == 0, extensions, form);
  if (reserve(b, 3) == 0)
    put_unchecked(b, "]}", 3); /* with the terminating NUL */
}

/* The whole body for d[0..n), NUL-ended, valid until the next call. */
const char *cnsm_encode(const struct cnsm_delta *d, size_t n,
                        unsigned extensions) {
  cnsm_encode_init_once();
  struct buf b = body;
  b.len = 0;
  b.failed = 0;
  if (reserve(&b, 32 + n * 128) == 0)
    PUT_LITERAL(&b, "{\"functions\":[");
  put_functions(&b, d, n, extensions, INGEST_BODY);
  if (b.failed) {
    free(b.p);
    body = (struct buf){0};
    return NULL;
  }
  body = b;
  return b.p;
}

/* A deltas file's text, in a buffer of its own: a fork child's hand-off
 * of 1,700 functions took a PostgreSQL backend's exit 13.5 ms as a cJSON
 * tree, more than its query. */
char *cnsm_encode_deltas_file(const char *sink, const char *endpoint,
                              const struct cnsm_delta *d, size_t n) {
  struct buf b = {0};
  size_t sink_len = strlen(sink), endpoint_len = strlen(endpoint);
  if (reserve(&b, 6 * (sink_len + endpoint_len) + 64 + n * 128) == 0) {
    PUT_LITERAL(&b, "{\"sink\":");
    put_string(&b, sink, sink_len);
    PUT_LITERAL(&b, ",\"endpoint\":");
    put_string(&b, endpoint, endpoint_len);
    PUT_LITERAL(&b, ",\"functions\":[");
  }
  put_functions(&b, d, n, CNSM_EXT_ALL, DELTAS_FILE);
  if (b.failed) {
    free(b.p);
    return NULL;
  }
  return b.p;
}

/* Frees the kept heads and the body's buffer. */
void cnsm_encode_release(void) {
  for (size_t i = 0; i < heads_cap; i++)
    free(heads[i].text);
  free(heads);
  heads = NULL;
  heads_cap = 0;
  free(body.p);
  body = (struct buf){0};
}
