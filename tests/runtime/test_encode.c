/* SPDX-License-Identifier: Apache-2.0
 *
 * test_encode.c - the ingest body the encoder writes (encode.c).
 *
 * Three parts.  total_ms from ns: up to six decimals, no trailing zeros,
 * exact at every magnitude.  Fixed bodies compared byte for byte: every
 * escape (", \, the named control characters, \u00XX for the others),
 * UTF-8 and DEL passed through, the spooled part (pend_*) added, the cached
 * head and the uncached path writing the same bytes, an empty list.  And a
 * round-trip fuzz: random batches (names and departments with multi-byte
 * UTF-8, quotes, backslashes and control characters, up to 512 bytes,
 * some all control characters;
 * random weights and 64-bit counts) are encoded, parsed with cJSON and
 * must give back exactly the functions, in order, with the six contract
 * fields only; the counts and total_ms are also read back from the body's
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

/* A delta for name/department/weight with the given own and spooled
 * parts; the head is cached when cached is set (free it after). */
static struct cnsm_delta make_delta(const char *name, const char *department,
                                    uint32_t weight, int cached) {
  struct cnsm_delta d;
  memset(&d, 0, sizeof d);
  d.name = name;
  d.department = department;
  d.weight = weight;
  if (cached)
    d.json_head = cnsm_encode_head(name, department, weight, &d.json_head_len);
  return d;
}

/* cnsm_encode(d, n) is exactly want? */
static void expect_body(const struct cnsm_delta *d, size_t n,
                        const char *want) {
  const char *got = cnsm_encode(d, n);
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
  for (int cached = 0; cached <= 1; cached++) {
    struct cnsm_delta d[2] = {make_delta(name, "eng", 3, cached),
                              make_delta("shop.total", "", 1000000, cached)};
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
    free((void *)d[0].json_head);
    free((void *)d[1].json_head);
  }
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

/* A malloc'd random string of at most max bytes (0 to max).  One in
 * eight is all control characters: the worst case, six bytes out for
 * each byte in, which the encoder's reservations must cover. */
static char *random_text(size_t max) {
  char *s = malloc(max + 1);
  size_t want = rng() % 8 == 0 ? rng() % (max + 1) : rng() % 40, len = 0;
  int worst = rng() % 8 == 0;
  while (len + 4 <= want) {
    if (worst)
      s[len++] = (char)(0x0e + rng() % 0x12); /* \u000e..\u001f */
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

/* One random batch: encode, parse, compare.  Returns 1 if it matched. */
static int round_trip(void) {
  size_t n = rng() % 8 == 0 ? rng() % 300 : rng() % 12;
  struct cnsm_delta *d = calloc(n ? n : 1, sizeof *d);
  for (size_t i = 0; i < n; i++) {
    d[i] = make_delta(random_text(512), random_text(128),
                      (uint32_t)(rng() % 1000001), (int)(rng() % 2));
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
  const char *body = cnsm_encode(d, n);
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
  for (size_t k = 0; k < n; k++) {
    free((void *)d[k].name);
    free((void *)d[k].department);
    free((void *)d[k].json_head);
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
  test_round_trip();
  TEST_DONE();
}
