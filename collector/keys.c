/* SPDX-License-Identifier: Apache-2.0
 *
 * keys.c - ingest keys.
 *
 * A key is "cnsm_" followed by 32 bytes from getrandom() in hex.  The
 * database keeps only SHA-256(key) and a short hint (its first 13
 * characters) for `key list`; the key itself is printed once, at
 * creation.  Checking a presented key hashes it and compares the hash
 * with every live key's hash using nettle's memeql_sec (constant time),
 * without stopping at a match, so the time taken says nothing about
 * which bytes matched.  The
 * check reads the table on every request, so a revocation takes effect
 * at once, even while the server runs, and in every collector that
 * shares a PostgreSQL database: there is no cache to go stale. */
#include "keys.h"

#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <nettle/memops.h>

#include "sha256.h"
#include "util.h"

/* Fills buf with n random bytes from the kernel.  Returns 0 or -1. */
static int keys_random(unsigned char *buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = getrandom(buf + got, n - got, 0);
    if (r < 0)
      return -1;
    got += (size_t)r;
  }
  return 0;
}

/* The first CNSM_KEY_HINT_LEN characters of key, in hint[]. */
static const char *hint_of(const char *key, char *hint) {
  snprintf(hint, CNSM_KEY_HINT_LEN + 1, "%s", key);
  return hint;
}

/* Creates and stores a key; see keys.h. */
int cnsm_key_create(struct cnsm_conn *c, const char *project, char *key) {
  size_t plen = strlen(project);
  if (plen == 0 || plen > CNSM_PROJECT_MAX || !cnsm_utf8_valid(project, plen)) {
    fprintf(stderr,
            "codensm-collector: a project name is 1 to %d bytes of "
            "UTF-8 without control characters\n",
            CNSM_PROJECT_MAX);
    return -1;
  }
  unsigned char raw[32];
  if (keys_random(raw, sizeof raw) != 0) {
    perror("codensm-collector: getrandom");
    return -1;
  }
  static const char hex[] = "0123456789abcdef";
  memcpy(key, CNSM_KEY_PREFIX, 5);
  for (size_t i = 0; i < sizeof raw; i++) {
    key[5 + 2 * i] = hex[raw[i] >> 4];
    key[6 + 2 * i] = hex[raw[i] & 15];
  }
  key[CNSM_KEY_LEN] = '\0';
  uint8_t hash[CNSM_SHA256_LEN];
  char hint[CNSM_KEY_HINT_LEN + 1];
  cnsm_sha256(key, CNSM_KEY_LEN, hash);

  const struct cnsm_value p[] = {
      CNSM_P_TEXT(project), CNSM_P_BLOB(hash, sizeof hash),
      CNSM_P_TEXT(hint_of(key, hint)), CNSM_P_INT(cnsm_now_s())};
  if (cnsm_exec(c,
                "INSERT INTO keys(project, hash, hint, created_at)"
                " VALUES($1, $2, $3, $4)",
                p, 4, NULL) != 0) {
    fprintf(stderr, "codensm-collector: cannot store key: %s\n",
            cnsm_store_error(c));
    return -1;
  }
  return 0;
}

/* Compares every live hash with the presented one; see cnsm_key_check. */
struct keys_match {
  const uint8_t *hash;
  char *project;
  size_t cap;
  int found;
};

static int keys_match_row(void *ctx, const struct cnsm_value *col, int ncol) {
  struct keys_match *m = ctx;
  if (ncol < 2)
    return -1;
  int match = col[0].len == CNSM_SHA256_LEN &&
              memeql_sec(col[0].blob, m->hash, CNSM_SHA256_LEN);
  if (match && !m->found) {
    m->found = 1;
    snprintf(m->project, m->cap, "%s", col[1].text ? col[1].text : "");
  }
  return 0;
}

/* Checks key against all live hashes in constant time; see keys.h. */
int cnsm_key_check(struct cnsm_conn *c, const char *key, char *project,
                   size_t cap) {
  uint8_t hash[CNSM_SHA256_LEN];
  cnsm_sha256(key, strlen(key), hash);
  struct keys_match m = {hash, project, cap, 0};
  if (cnsm_query(c, "SELECT hash, project FROM keys WHERE revoked_at IS NULL",
                 NULL, 0, keys_match_row, &m) != 0)
    return -1;
  return m.found;
}

/* Formats a unix time as UTC "YYYY-MM-DD HH:MM". */
static void keys_time(int64_t t, char *buf, size_t cap) {
  time_t tt = (time_t)t;
  struct tm tm;
  gmtime_r(&tt, &tm);
  strftime(buf, cap, "%Y-%m-%d %H:%M", &tm);
}

/* Prints one row of `key list`. */
static int keys_list_row(void *ctx, const struct cnsm_value *col, int ncol) {
  FILE *out = ctx;
  if (ncol < 4)
    return -1;
  char created[32], revoked[48] = "active";
  keys_time(col[2].i, created, sizeof created);
  if (!col[3].is_null) {
    char when[32];
    keys_time(col[3].i, when, sizeof when);
    snprintf(revoked, sizeof revoked, "revoked %s", when);
  }
  fprintf(out, "%s%-3s %-24s %-17s %s\n", col[0].text, "...", col[1].text,
          created, revoked);
  return 0;
}

/* Lists keys as a table; see keys.h. */
int cnsm_key_list(struct cnsm_conn *c, FILE *out) {
  fprintf(out, "%-16s %-24s %-17s %s\n", "KEY", "PROJECT", "CREATED (UTC)",
          "STATUS");
  return cnsm_query(c,
                    "SELECT hint, project, created_at, revoked_at FROM keys"
                    " ORDER BY project, id",
                    NULL, 0, keys_list_row, out);
}

/* Revokes by whole key or unique hint; see keys.h. */
int cnsm_key_revoke(struct cnsm_conn *c, const char *key_or_hint) {
  size_t n = strlen(key_or_hint);
  while (n > 0 && key_or_hint[n - 1] == '.')
    n--; /* "cnsm_1a2b3c4d..." */
  uint8_t hash[CNSM_SHA256_LEN];
  char hint[CNSM_KEY_HINT_LEN + 1];
  int64_t changes = 0;
  int rc;
  if (n == CNSM_KEY_LEN) {
    cnsm_sha256(key_or_hint, n, hash);
    const struct cnsm_value p[] = {CNSM_P_INT(cnsm_now_s()),
                                   CNSM_P_BLOB(hash, sizeof hash)};
    rc = cnsm_exec(c,
                   "UPDATE keys SET revoked_at = $1"
                   " WHERE hash = $2 AND revoked_at IS NULL",
                   p, 2, &changes);
  } else if (n == CNSM_KEY_HINT_LEN) {
    const struct cnsm_value p[] = {CNSM_P_INT(cnsm_now_s()),
                                   CNSM_P_TEXT(hint_of(key_or_hint, hint))};
    rc = cnsm_exec(c,
                   "UPDATE keys SET revoked_at = $1"
                   " WHERE hint = $2 AND revoked_at IS NULL"
                   " AND (SELECT COUNT(*) FROM keys WHERE hint = $2) = 1",
                   p, 2, &changes);
  } else {
    return 0;
  }
  return rc == 0 ? (int)changes : -1;
}
