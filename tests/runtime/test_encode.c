/* SPDX-License-Identifier: Apache-2.0
 *
 * test_encode.c - the ingest body the encoder writes (encode.c).
 *
 * Three parts.  total_ms from ns: up to six decimals, no trailing zeros,
 * exact at every magnitude.  Fixed bodies compared byte for byte: every
 * escape (", \, the named control characters, \u00XX for the others),
 * UTF-8 and DEL passed through, the spooled part (pend_*) added, a head
 * written anew and the kept one writing the same bytes, a kept head never
 * used once its name, department or weight differ (in the same buffer
 * too), an empty list; a fork child's body in a buffer of its own.  And a
 * round-trip fuzz: random batches (names and
 * departments with multi-byte UTF-8, quotes, backslashes and control
 * characters, up to 512 bytes, some all control characters; random
 * weights and 64-bit counts; table indices reused by the next batch's
 * other strings, sometimes twice in a batch) are encoded twice (heads
 * written, then kept ones), parsed with cJSON and must give back exactly
 * the functions, in order, with the six contract fields only; the counts
 * and total_ms are also read back from the body's
 * text (against printf), where a double could not tell 2^64 - 1 from
 * 2^64 - 2.  The fuzz is seeded:
 * CNSM_TEST_SEED=n (default 1) and CNSM_TEST_ROUNDS=n (default 400)
 * explore further; a failure prints the seed and the body.
 */
#define _GNU_SOURCE
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "test_util.h"

/* ---- total_ms --------------------------------------------------------- */

static void test_format_ms(void) {
  static const struct {
    uint64_t ns;
    const char *ms;
  } cases[] = {
      {0, "0"},
      {1, "0.000001"},
      {10, "0.00001"},
      {100, "0.0001"},
      {999999, "0.999999"},
      {1000000, "1"},
      {1000001, "1.000001"},
      {1230000, "1.23"},
      {123456789, "123.456789"},
      {5000000000ull, "5000"},
      {UINT64_MAX, "18446744073709.551615"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char out[32];
    cnsm_format_ms(out, cases[i].ns);
    if (strcmp(out, cases[i].ms) != 0) {
      fprintf(stderr, "%" PRIu64 " ns: got %s, expected %s\n", cases[i].ns, out,
              cases[i].ms);
      test_failures++;
    }
  }
}

/* ---- fixed bodies ----------------------------------------------------- */

/* A delta of table entry index for name/department/weight, no counts. */
static struct cnsm_delta make_delta(size_t index, const char *name,
                                    const char *department, uint32_t weight) {
  struct cnsm_delta d;
  memset(&d, 0, sizeof d);
  d.index = index;
  d.name = name;
  d.department = department;
  d.weight = weight;
  return d;
}

/* cnsm_encode(d, n, 0) is exactly want? */
static void expect_body(const struct cnsm_delta *d, size_t n,
                        const char *want) {
  const char *got = cnsm_encode(d, n, 0);
  CHECK(got != NULL);
  if (got && strcmp(got, want) != 0) {
    fprintf(stderr, "body:\n  got    %s\n  wanted %s\n", got, want);
    test_failures++;
  }
}

static void test_fixed_bodies(void) {
  expect_body(NULL, 0, "{\"functions\":[]}");

  static const char name[] = "a\"b\\c/\b\f\n\r\t\x01\x1f\x7f"
                             "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
  static const char want_name[] = "\"a\\\"b\\\\c/\\b\\f\\n\\r\\t\\u0001\\u001f"
                                  "\x7f\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"";
  /* Heads written, then (the plain one) kept and copied. */
  for (int pass = 0; pass <= 1; pass++) {
    struct cnsm_delta d[2] = {make_delta(0, name, "eng", 3),
                              make_delta(1, "shop.total", "", 1000000)};
    d[0].calls = 10;
    d[0].pend_calls = 5;
    d[0].errors = 2;
    d[0].pend_errors = 1;
    d[0].ns = 1500000;
    d[0].pend_ns = 1;
    d[1].calls = UINT64_MAX;
    char want[512];
    snprintf(want, sizeof want,
             "{\"functions\":[{\"name\":%s,\"department\":\"eng\","
             "\"value_weight\":3,\"calls\":15,\"errors\":3,"
             "\"total_ms\":1.500001},{\"name\":\"shop.total\","
             "\"department\":\"\",\"value_weight\":1000000,"
             "\"calls\":18446744073709551615,\"errors\":0,\"total_ms\":0}]}",
             want_name);
    expect_body(d, 2, want);
  }
}

/* One function's body (calls 1) is exactly the one of json_name and
 * json_department, the name and department as the body escapes them. */
static void expect_one(size_t index, const char *name, const char *department,
                       uint32_t weight, const char *json_name,
                       const char *json_department) {
  struct cnsm_delta d = make_delta(index, name, department, weight);
  d.calls = 1;
  char want[256];
  snprintf(want, sizeof want,
           "{\"functions\":[{\"name\":\"%s\",\"department\":\"%s\","
           "\"value_weight\":%u,\"calls\":1,\"errors\":0,\"total_ms\":0}]}",
           json_name, json_department, (unsigned)weight);
  expect_body(&d, 1, want);
}

/* A kept head is used only for the strings and weight it was written from:
 * codensm_init may change a department or a weight, and the encoder must
 * not trust an index or an address to mean the same text. */
static void test_kept_heads(void) {
  struct {
    const char *name, *department;
    uint32_t weight;
  } steps[] = {
      {"k.f", "eng", 3},  {"k.f", "eng", 3},  {"k.f", "ops", 3},
      {"k.f", "ops", 4},  {"k.fg", "ops", 4}, {"k.f", "ops", 4},
      {"k.f", "opsx", 4}, {"k.f", "ops", 4},  {"k.g", "ops", 4},
      {"k.g", "", 4},     {"k.g", "", 40},    {"k.g", "", 4},
  };
  /* The same two buffers, changed in place between the bodies. */
  char name[16], dept[16];
  for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
    snprintf(name, sizeof name, "%s", steps[i].name);
    snprintf(dept, sizeof dept, "%s", steps[i].department);
    expect_one(7, name, dept, steps[i].weight, steps[i].name,
               steps[i].department);
  }
  /* Two heads that need escapes, at the same index: read raw, the first
   * one's text holds the second one's name and department where a plain
   * head would hold them, so escaped heads are never kept.  Then a plain
   * one. */
  expect_one(7, "k.\"", "xy", 4, "k.\\\"", "xy");
  expect_one(7, "k.\\", "\"x", 4, "k.\\\\", "\\\"x");
  expect_one(7, "k.q", "ops", 4, "k.q", "ops");
  /* An index far beyond the others grows the kept heads. */
  expect_one(100000, "k.far", "eng", 1, "k.far", "eng");
  /* Released (codensm_shutdown): written anew, the same bytes. */
  cnsm_encode_release();
  expect_one(100000, "k.far", "eng", 1, "k.far", "eng");
}

/* A fork child neither writes into the parent's body buffer nor reads its
 * kept heads: the parent's flusher may have been changing them when it
 * forked.  Its body is a buffer of its own, and the same bytes. */
static void test_fork_child(void) {
  struct cnsm_delta d = make_delta(3, "k.fork", "eng", 2);
  static const char want[] =
      "{\"functions\":[{\"name\":\"k.fork\",\"department\":\"eng\","
      "\"value_weight\":2,\"calls\":0,\"errors\":0,\"total_ms\":0}]}";
  const char *parent = cnsm_encode(&d, 1, 0);
  CHECK(parent != NULL && strcmp(parent, want) == 0);
  pid_t pid = fork();
  if (pid == 0) {
    const char *child = cnsm_encode(&d, 1, 0);
    _exit(child && child != parent && strcmp(child, want) == 0 ? 0 : 1);
  }
  int status = 0;
  CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* ---- round-trip fuzz -------------------------------------------------- */

static uint64_t rng_state;

/* xorshift64*: small, seedable, good enough to pick bytes and counts. */
static uint64_t rng(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 2685821657736338717ull;
}

/* A random count: small, around 2^53, or anything up to 2^64 - 1. */
static uint64_t random_count(void) {
  switch (rng() % 4) {
  case 0:
    return rng() % 10;
  case 1:
    return rng() % 1000000;
  case 2:
    return (1ull << 53) - 4 + rng() % 8;
  default:
    return rng() >> (rng() % 2 ? 0 : 1);
  }
}

/* Appends one random code point as UTF-8 (never NUL, never a surrogate);
 * ASCII, the characters that need escapes and DEL are favoured. */
static size_t random_char(char *o) {
  static const char special[] = "\"\\/\b\f\n\r\t\x01\x1f\x7f";
  uint32_t cp;
  switch (rng() % 6) {
  case 0:
    o[0] = special[rng() % (sizeof special - 1)];
    return 1;
  case 1:
    o[0] = (char)(1 + rng() % 0x7f);
    return 1;
  case 2:
    cp = 0x80 + (uint32_t)(rng() % (0x800 - 0x80));
    break;
  case 3:
    do
      cp = 0x800 + (uint32_t)(rng() % (0x10000 - 0x800));
    while (cp >= 0xd800 && cp <= 0xdfff);
    break;
  case 4:
    cp = 0x10000 + (uint32_t)(rng() % (0x110000 - 0x10000));
    break;
  default:
    o[0] = (char)('a' + rng() % 26);
    return 1;
  }
  if (cp < 0x800) {
    o[0] = (char)(0xc0 | cp >> 6);
    o[1] = (char)(0x80 | (cp & 0x3f));
    return 2;
  }
  if (cp < 0x10000) {
    o[0] = (char)(0xe0 | cp >> 12);
    o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
    o[2] = (char)(0x80 | (cp & 0x3f));
    return 3;
  }
  o[0] = (char)(0xf0 | cp >> 18);
  o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
  o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
  o[3] = (char)(0x80 | (cp & 0x3f));
  return 4;
}

/* One random code point that needs no escape, as UTF-8. */
static size_t random_plain_char(char *o) {
  size_t n;
  while ((n = random_char(o)) == 1 &&
         ((unsigned char)o[0] < 0x20 || o[0] == '"' || o[0] == '\\'))
    ;
  return n;
}

/* A malloc'd random string of at most max bytes (0 to max).  One in
 * eight is all control characters: the worst case, six bytes out for
 * each byte in, which the encoder's reservations must cover.  One in
 * four needs no escape, as nearly every real name: the encoder keeps
 * only such heads. */
static char *random_text(size_t max) {
  char *s = malloc(max + 1);
  size_t want = rng() % 8 == 0 ? rng() % (max + 1) : rng() % 40, len = 0;
  unsigned kind = (unsigned)(rng() % 8);
  while (len + 4 <= want) {
    if (kind == 0)
      s[len++] = (char)(0x0e + rng() % 0x12); /* \u000e..\u001f */
    else if (kind <= 2)
      len += random_plain_char(s + len);
    else
      len += random_char(s + len);
  }
  s[len] = '\0';
  return s;
}

/* Reads the unsigned integer after the next `,"<key>":` from *pos in the
 * body text (a key inside an escaped string would read `\"`, so only real
 * keys match) and moves *pos past it.  Returns 0 or -1. */
static int text_u64(const char **pos, const char *key, uint64_t *out) {
  char pattern[32];
  snprintf(pattern, sizeof pattern, ",\"%s\":", key);
  const char *p = strstr(*pos, pattern);
  if (!p)
    return -1;
  p += strlen(pattern);
  char *end;
  *out = strtoull(p, &end, 10);
  *pos = end;
  return end == p ? -1 : 0;
}

/* ns as milliseconds the obvious way (printf, then trailing zeros and a
 * bare point dropped): the reference for the body's total_ms text. */
static void reference_ms(uint64_t ns, char out[32]) {
  int n =
      snprintf(out, 32, "%" PRIu64 ".%06" PRIu64, ns / 1000000, ns % 1000000);
  while (out[n - 1] == '0')
    out[--n] = '\0';
  if (out[n - 1] == '.')
    out[--n] = '\0';
}

/* Checks the total_ms text after the next `,"total_ms":` at *pos. */
static int text_ms_is(const char **pos, uint64_t ns) {
  char want[32];
  reference_ms(ns, want);
  const char *p = strstr(*pos, ",\"total_ms\":");
  if (!p)
    return 0;
  p += strlen(",\"total_ms\":");
  size_t len = strspn(p, "0123456789.");
  *pos = p + len;
  return len == strlen(want) && memcmp(p, want, len) == 0;
}

/* Checks one parsed function object (and its counts in the text at *pos)
 * against the delta it came from.  Returns 1 if it matches. */
static int same_function(const cJSON *f, const struct cnsm_delta *d,
                         const char **pos) {
  if (!strict_function(f))
    return 0;
  const char *name = cJSON_GetObjectItemCaseSensitive(f, "name")->valuestring;
  const char *dept =
      cJSON_GetObjectItemCaseSensitive(f, "department")->valuestring;
  double weight =
      cJSON_GetObjectItemCaseSensitive(f, "value_weight")->valuedouble;
  double calls = cJSON_GetObjectItemCaseSensitive(f, "calls")->valuedouble;
  double errors = cJSON_GetObjectItemCaseSensitive(f, "errors")->valuedouble;
  double ms = cJSON_GetObjectItemCaseSensitive(f, "total_ms")->valuedouble;
  uint64_t want_calls = d->calls + d->pend_calls;
  uint64_t want_errors = d->errors + d->pend_errors;
  uint64_t want_ns = d->ns + d->pend_ns;
  double want_ms =
      (double)(want_ns / 1000000) + (double)(want_ns % 1000000) / 1e6;
  uint64_t text_calls, text_errors;
  int ok =
      strcmp(name, d->name) == 0 && strcmp(dept, d->department) == 0 &&
      weight == (double)d->weight && calls == (double)want_calls &&
      errors == (double)want_errors && fabs(ms - want_ms) <= want_ms * 1e-15 &&
      text_u64(pos, "calls", &text_calls) == 0 &&
      text_u64(pos, "errors", &text_errors) == 0 && text_calls == want_calls &&
      text_errors == want_errors && text_ms_is(pos, want_ns);
  return ok;
}

/* Encodes d[0..n), parses the body and compares.  Returns 1 if it
 * matched. */
static int encode_matches(const struct cnsm_delta *d, size_t n) {
  const char *body = cnsm_encode(d, n, 0);
  int ok = body != NULL;
  cJSON *root = ok ? cJSON_Parse(body) : NULL;
  const cJSON *fns = cJSON_GetObjectItemCaseSensitive(root, "functions");
  ok = ok && cJSON_IsArray(fns) && cJSON_GetArraySize(root) == 1 &&
       (size_t)cJSON_GetArraySize(fns) == n;
  const char *pos = body;
  size_t i = 0;
  const cJSON *f;
  if (ok)
    cJSON_ArrayForEach(f, fns) {
      if (!same_function(f, &d[i], &pos)) {
        fprintf(stderr, "function %zu of %zu differs after the round trip\n", i,
                n);
        ok = 0;
        break;
      }
      i++;
    }
  if (!ok)
    fprintf(stderr, "body: %.4000s\n", body ? body : "(NULL)");
  cJSON_Delete(root);
  return ok;
}

/* One random batch: encoded twice (the second time from kept heads),
 * parsed, compared.  Entry i is table index i, except one in eight that
 * shares an earlier one's; the previous batch's strings at those indices
 * were freed, their addresses free for these.  Returns 1 if it matched. */
static int round_trip(void) {
  size_t n = rng() % 8 == 0 ? rng() % 300 : rng() % 12;
  struct cnsm_delta *d = calloc(n ? n : 1, sizeof *d);
  for (size_t i = 0; i < n; i++) {
    size_t index = rng() % 8 == 0 ? (size_t)(rng() % (i + 1)) : i;
    d[i] = make_delta(index, random_text(512), random_text(128),
                      (uint32_t)(rng() % 1000001));
    /* own + spooled parts, kept from overflowing their sum */
    d[i].calls = random_count() >> 1;
    d[i].errors = random_count() >> 1;
    d[i].ns = random_count() >> 1;
    if (rng() % 2) {
      d[i].pend_calls = random_count() >> 1;
      d[i].pend_errors = random_count() >> 1;
      d[i].pend_ns = random_count() >> 1;
    }
  }
  int ok = encode_matches(d, n) && encode_matches(d, n);
  for (size_t k = 0; k < n; k++) {
    free((void *)d[k].name);
    free((void *)d[k].department);
  }
  free(d);
  return ok;
}

static void test_round_trip(void) {
  const char *seed_text = getenv("CNSM_TEST_SEED");
  const char *rounds_text = getenv("CNSM_TEST_ROUNDS");
  uint64_t seed = seed_text ? strtoull(seed_text, NULL, 10) : 1;
  long rounds = rounds_text ? atol(rounds_text) : 400;
  rng_state = seed * 0x9e3779b97f4a7c15ull + 1;
  for (long r = 0; r < rounds; r++)
    if (!round_trip()) {
      fprintf(stderr, "round trip %ld failed (CNSM_TEST_SEED=%" PRIu64 ")\n", r,
              seed);
      test_failures++;
      return;
    }
  fprintf(stderr, "%ld round trips, seed %" PRIu64 "\n", rounds, seed);
}

int main(void) {
  test_format_ms();
  test_fixed_bodies();
  test_kept_heads();
  test_fork_child();
  test_round_trip();
  TEST_DONE();
}
