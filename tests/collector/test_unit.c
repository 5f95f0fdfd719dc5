/* SPDX-License-Identifier: Apache-2.0
 *
 * test_unit.c - unit tests of the collector's helpers: SHA-256 (nettle,
 * through sha256.h) against the FIPS 180-4 vectors, a key stored hashed
 * before the switch to nettle still verifying, UTF-8 validation,
 * durations, read tokens (the Authorization header's forms, the token's
 * own syntax), which listening addresses are loopback, and a
 * percentile read off a histogram (hist.c).  Prints each
 * failure; exits 1 if any. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codensm_hist.h"
#include "hist.h"
#include "keys.h"
#include "read_access.h"
#include "sha256.h"
#include "store.h"
#include "util.h"

static int failures;

#define EXPECT(cond)                                                           \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: FAILED: %s\n", __FILE__, __LINE__, #cond);       \
      failures++;                                                              \
    }                                                                          \
  } while (0)

/* SHA-256 of s as lowercase hex equals want? */
static int sha256_is(const char *s, size_t len, const char *want) {
  uint8_t h[CNSM_SHA256_LEN];
  char hex[65];
  cnsm_sha256(s, len, h);
  for (int i = 0; i < 32; i++)
    snprintf(hex + 2 * i, 3, "%02x", h[i]);
  return strcmp(hex, want) == 0;
}

static void test_sha256(void) {
  EXPECT(sha256_is(
      "", 0,
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  EXPECT(sha256_is(
      "abc", 3,
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
  const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  EXPECT(sha256_is(
      two, strlen(two),
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
  static char million[1000000];
  memset(million, 'a', sizeof million);
  EXPECT(sha256_is(
      million, sizeof million,
      "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
  /* 55, 56 and 64 bytes: the padding boundaries. */
  char buf[64];
  memset(buf, 'a', sizeof buf);
  EXPECT(sha256_is(
      buf, 55,
      "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"));
  EXPECT(sha256_is(
      buf, 56,
      "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"));
  EXPECT(sha256_is(
      buf, 64,
      "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"));
}

static void test_utf8(void) {
  EXPECT(cnsm_utf8_valid("shop::Cart<int>::total(\"q\")", 27));
  EXPECT(cnsm_utf8_valid("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9));
  EXPECT(!cnsm_utf8_valid("\xff", 1));
  EXPECT(!cnsm_utf8_valid("\xc0\xaf", 2));         /* overlong */
  EXPECT(!cnsm_utf8_valid("\xe0\x80\xaf", 3));     /* overlong */
  EXPECT(!cnsm_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
  EXPECT(!cnsm_utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
  EXPECT(!cnsm_utf8_valid("\xe2\x82", 2));         /* truncated */
  EXPECT(!cnsm_utf8_valid("a\tb", 3));
  EXPECT(!cnsm_utf8_valid("a\x7f", 2));
}

static void test_duration(void) {
  int64_t s = -1;
  EXPECT(cnsm_parse_duration("15m", &s) == 0 && s == 900);
  EXPECT(cnsm_parse_duration("24h", &s) == 0 && s == 86400);
  EXPECT(cnsm_parse_duration("7d", &s) == 0 && s == 604800);
  EXPECT(cnsm_parse_duration("2w", &s) == 0 && s == 1209600);
  EXPECT(cnsm_parse_duration("90s", &s) == 0 && s == 90);
  EXPECT(cnsm_parse_duration("all", &s) == 0 && s == 0);
  EXPECT(cnsm_parse_duration("0m", &s) != 0);
  EXPECT(cnsm_parse_duration("15", &s) != 0);
  EXPECT(cnsm_parse_duration("m", &s) != 0);
  EXPECT(cnsm_parse_duration("15mm", &s) != 0);
  EXPECT(cnsm_parse_duration("-5m", &s) != 0);
  EXPECT(cnsm_parse_duration("99999999999d", &s) != 0);
  /* until: "0" is now, any other duration as above, never "all" */
  EXPECT(cnsm_parse_until("0", &s) == 0 && s == 0);
  EXPECT(cnsm_parse_until("1h", &s) == 0 && s == 3600);
  EXPECT(cnsm_parse_until("all", &s) != 0);
  EXPECT(cnsm_parse_until("00", &s) != 0);
  EXPECT(cnsm_parse_until("", &s) != 0);
  EXPECT(cnsm_parse_until("-1h", &s) != 0);
}

/* Hex digits to bytes; n bytes. */
static void from_hex(const char *hex, uint8_t *out, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned v;
    sscanf(hex + 2 * i, "%2x", &v);
    out[i] = (uint8_t)v;
  }
}

/* A key row as a database written before nettle holds it: the hash is
 * the vector, not computed here, so a hash that is no longer bit-identical
 * SHA-256 fails this test. */
static void test_stored_key_verifies(void) {
  static const char key[] =
      "cnsm_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
  static const char stored[] =
      "71523bcdfa2064731d561db0c1666c351c7c8a727700443e20d5f240203f18a4";
  char path[] = "/tmp/cnsm-unit-XXXXXX";
  int fd = mkstemp(path);
  EXPECT(fd >= 0);
  if (fd < 0)
    return;
  close(fd);
  struct cnsm_store *st;
  char err[256];
  EXPECT(cnsm_store_open(path, 1, CNSM_STORE_CREATE, &st, err, sizeof err) ==
         0);
  struct cnsm_conn *db = cnsm_store_acquire(st);
  uint8_t hash[CNSM_SHA256_LEN];
  from_hex(stored, hash, sizeof hash);
  const struct cnsm_value p[] = {CNSM_P_BLOB(hash, sizeof hash)};
  EXPECT(cnsm_exec(db,
                   "INSERT INTO keys(project, hash, hint, created_at)"
                   " VALUES('old', $1, 'cnsm_01234567', 0)",
                   p, 1, NULL) == 0);

  char project[64] = "";
  EXPECT(cnsm_key_check(db, key, project, sizeof project) == 1);
  EXPECT(strcmp(project, "old") == 0);
  char wrong[sizeof key];
  memcpy(wrong, key, sizeof key);
  wrong[sizeof key - 2] = 'e'; /* last hex digit */
  EXPECT(cnsm_key_check(db, wrong, project, sizeof project) == 0);
  EXPECT(cnsm_key_check(db, "", project, sizeof project) == 0);
  cnsm_store_release(st, db);
  cnsm_store_close(st);
  unlink(path);
}

static void test_read_tokens(void) {
  struct cnsm_read_tokens t = {0};
  char err[256];
  EXPECT(cnsm_read_tokens_check(&t, NULL) ==
         CNSM_READ_OK); /* none given: open */
  EXPECT(cnsm_read_tokens_check(&t, "Bearer anything") == CNSM_READ_OK);
  EXPECT(cnsm_read_tokens_add(&t, "0123456789abcdef", err, sizeof err) == 0);
  EXPECT(cnsm_read_tokens_add(&t, "second-token.~+/_==", err, sizeof err) == 0);
  for (int i = 0; i < 10; i++) /* past the first allocation */
    EXPECT(cnsm_read_tokens_add(&t, "filler-token-0123", err, sizeof err) == 0);
  EXPECT(cnsm_read_tokens_check(&t, NULL) == CNSM_READ_MISSING);
  EXPECT(cnsm_read_tokens_check(&t, "") == CNSM_READ_MISSING);
  EXPECT(cnsm_read_tokens_check(&t, "Bearer") == CNSM_READ_MISSING);
  EXPECT(cnsm_read_tokens_check(&t, "Bearer    ") == CNSM_READ_MISSING);
  EXPECT(cnsm_read_tokens_check(&t, "Basic 0123456789abcdef") ==
         CNSM_READ_MISSING);
  EXPECT(cnsm_read_tokens_check(&t, "Bearer0123456789abcdef") ==
         CNSM_READ_MISSING);
  EXPECT(cnsm_read_tokens_check(&t, "Bearer 0123456789abcdef") == CNSM_READ_OK);
  EXPECT(cnsm_read_tokens_check(&t, "bEARER   0123456789abcdef \t") ==
         CNSM_READ_OK);
  EXPECT(cnsm_read_tokens_check(&t, "Bearer second-token.~+/_==") ==
         CNSM_READ_OK);
  EXPECT(cnsm_read_tokens_check(&t, "Bearer 0123456789abcde") ==
         CNSM_READ_INVALID);
  EXPECT(cnsm_read_tokens_check(&t, "Bearer 0123456789abcdef0") ==
         CNSM_READ_INVALID);
  EXPECT(cnsm_read_tokens_check(&t, "Bearer 0123456789ABCDEF") ==
         CNSM_READ_INVALID);
  EXPECT(cnsm_read_tokens_check(&t, "Bearer x 0123456789abcdef") ==
         CNSM_READ_INVALID);
  /* The token's syntax; the message never quotes it. */
  size_t n = t.n;
  EXPECT(cnsm_read_tokens_add(&t, "0123456789abcde", err, sizeof err) != 0);
  EXPECT(strstr(err, "0123456789abcde") == NULL);
  EXPECT(cnsm_read_tokens_add(&t, "0123456789 abcdef", err, sizeof err) != 0);
  EXPECT(cnsm_read_tokens_add(&t, "0123456789abcdef\x7f", err, sizeof err) !=
         0);
  EXPECT(cnsm_read_tokens_add(&t, "0123456789abcdef\xc3\xa9", err,
                              sizeof err) != 0);
  char longest[CNSM_READ_TOKEN_MAX + 2];
  memset(longest, 'x', sizeof longest);
  longest[CNSM_READ_TOKEN_MAX + 1] = '\0';
  EXPECT(cnsm_read_tokens_add(&t, longest, err, sizeof err) != 0);
  longest[CNSM_READ_TOKEN_MAX] = '\0';
  EXPECT(t.n == n);
  EXPECT(cnsm_read_tokens_add(&t, longest, err, sizeof err) == 0);
  cnsm_read_tokens_free(&t);
  EXPECT(t.n == 0 && t.hash == NULL);
}

/* Is the numeric address text loopback, by cnsm_addr_is_loopback? */
static int loopback(const char *text) {
  struct sockaddr_in v4 = {.sin_family = AF_INET};
  struct sockaddr_in6 v6 = {.sin6_family = AF_INET6};
  if (inet_pton(AF_INET, text, &v4.sin_addr) == 1)
    return cnsm_addr_is_loopback((struct sockaddr *)&v4);
  if (inet_pton(AF_INET6, text, &v6.sin6_addr) == 1)
    return cnsm_addr_is_loopback((struct sockaddr *)&v6);
  return -1;
}

static void test_loopback(void) {
  EXPECT(loopback("127.0.0.1") == 1);
  EXPECT(loopback("127.0.0.2") == 1);
  EXPECT(loopback("127.255.255.254") == 1);
  EXPECT(loopback("::1") == 1);
  EXPECT(loopback("::ffff:127.0.0.1") == 1);
  EXPECT(loopback("0.0.0.0") == 0);
  EXPECT(loopback("::") == 0);
  EXPECT(loopback("10.0.0.1") == 0);
  EXPECT(loopback("128.0.0.1") == 0);
  EXPECT(loopback("::2") == 0);
  EXPECT(loopback("::ffff:10.0.0.1") == 0);
  EXPECT(loopback("fe80::1") == 0);
}

/* The first bucket whose cumulative count reaches the fraction, exactly
 * at the boundary too; no counts: -1. */
static void test_percentile(void) {
  const uint32_t b[] = {3, cnsm_hist_index(20000), cnsm_hist_index(200000)};
  const double c[] = {0, 90, 10}, half[] = {50, 50, 0}, none[] = {0, 0, 0};
  EXPECT(cnsm_hist_percentile(b, c, 3, 50) == cnsm_hist_value(b[1]));
  EXPECT(cnsm_hist_percentile(b, c, 3, 90) == cnsm_hist_value(b[1]));
  EXPECT(cnsm_hist_percentile(b, c, 3, 95) == cnsm_hist_value(b[2]));
  EXPECT(cnsm_hist_percentile(b, c, 3, 99) == cnsm_hist_value(b[2]));
  EXPECT(cnsm_hist_percentile(b, half, 3, 50) == 3);
  EXPECT(cnsm_hist_percentile(b, half, 3, 51) == cnsm_hist_value(b[1]));
  EXPECT(cnsm_hist_percentile(b, none, 3, 50) == -1);
  EXPECT(cnsm_hist_percentile(b, c, 0, 50) == -1);
  /* The midpoint of 20,000's bucket: [19456, 20480) */
  EXPECT(cnsm_hist_value(cnsm_hist_index(20000)) == 19968);
}

int main(void) {
  test_percentile();
  test_sha256();
  test_utf8();
  test_duration();
  test_stored_key_verifies();
  test_read_tokens();
  test_loopback();
  if (failures == 0)
    printf("ok\n");
  return failures ? 1 : 0;
}
