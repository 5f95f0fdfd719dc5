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
 * at once, even while the server runs. */
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

/* Creates and stores a key; see keys.h. */
int cnsm_key_create(sqlite3 *db, const char *project, char *key) {
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
  cnsm_sha256(key, CNSM_KEY_LEN, hash);

  sqlite3_stmt *st;
  int rc = sqlite3_prepare_v2(
      db,
      "INSERT INTO keys(project, hash, hint, created_at) VALUES(?, ?, ?, ?)",
      -1, &st, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_bind_text(st, 1, project, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, hash, sizeof hash, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, key, CNSM_KEY_HINT_LEN, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, cnsm_now_s());
    rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
  }
  if (rc != SQLITE_OK)
    fprintf(stderr, "codensm-collector: cannot store key: %s\n",
            sqlite3_errmsg(db));
  sqlite3_finalize(st);
  return rc == SQLITE_OK ? 0 : -1;
}

/* Checks key against all live hashes in constant time; see keys.h. */
int cnsm_key_check(sqlite3 *db, const char *key, char *project, size_t cap) {
  uint8_t hash[CNSM_SHA256_LEN];
  cnsm_sha256(key, strlen(key), hash);
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(
          db, "SELECT hash, project FROM keys WHERE revoked_at IS NULL", -1,
          &st, NULL) != SQLITE_OK)
    return -1;
  int found = 0, rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const void *h = sqlite3_column_blob(st, 0);
    int match = sqlite3_column_bytes(st, 0) == CNSM_SHA256_LEN &&
                memeql_sec(h, hash, CNSM_SHA256_LEN);
    if (match && !found) {
      found = 1;
      snprintf(project, cap, "%s", (const char *)sqlite3_column_text(st, 1));
    }
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE)
    return -1;
  return found;
}

/* Formats a unix time as UTC "YYYY-MM-DD HH:MM". */
static void keys_time(int64_t t, char *buf, size_t cap) {
  time_t tt = (time_t)t;
  struct tm tm;
  gmtime_r(&tt, &tm);
  strftime(buf, cap, "%Y-%m-%d %H:%M", &tm);
}

/* Lists keys as a table; see keys.h. */
int cnsm_key_list(sqlite3 *db, FILE *out) {
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(
          db,
          "SELECT hint, project, created_at, revoked_at FROM keys"
          " ORDER BY project, id",
          -1, &st, NULL) != SQLITE_OK)
    return -1;
  fprintf(out, "%-16s %-24s %-17s %s\n", "KEY", "PROJECT", "CREATED (UTC)",
          "STATUS");
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    char created[32], revoked[48] = "active";
    keys_time(sqlite3_column_int64(st, 2), created, sizeof created);
    if (sqlite3_column_type(st, 3) != SQLITE_NULL) {
      char when[32];
      keys_time(sqlite3_column_int64(st, 3), when, sizeof when);
      snprintf(revoked, sizeof revoked, "revoked %s", when);
    }
    fprintf(out, "%s%-3s %-24s %-17s %s\n", sqlite3_column_text(st, 0), "...",
            sqlite3_column_text(st, 1), created, revoked);
  }
  sqlite3_finalize(st);
  return rc == SQLITE_DONE ? 0 : -1;
}

/* Revokes by whole key or unique hint; see keys.h. */
int cnsm_key_revoke(sqlite3 *db, const char *key_or_hint) {
  size_t n = strlen(key_or_hint);
  while (n > 0 && key_or_hint[n - 1] == '.')
    n--; /* "cnsm_1a2b3c4d..." */
  sqlite3_stmt *st;
  int rc;
  if (n == CNSM_KEY_LEN) {
    uint8_t hash[CNSM_SHA256_LEN];
    cnsm_sha256(key_or_hint, n, hash);
    rc = sqlite3_prepare_v2(
        db,
        "UPDATE keys SET revoked_at = ? WHERE hash = ? AND revoked_at IS NULL",
        -1, &st, NULL);
    if (rc != SQLITE_OK)
      return -1;
    sqlite3_bind_blob(st, 2, hash, sizeof hash, SQLITE_TRANSIENT);
  } else if (n == CNSM_KEY_HINT_LEN) {
    rc = sqlite3_prepare_v2(
        db,
        "UPDATE keys SET revoked_at = ? WHERE hint = ?2 AND revoked_at IS NULL"
        " AND (SELECT COUNT(*) FROM keys WHERE hint = ?2) = 1",
        -1, &st, NULL);
    if (rc != SQLITE_OK)
      return -1;
    sqlite3_bind_text(st, 2, key_or_hint, (int)n, SQLITE_TRANSIENT);
  } else {
    return 0;
  }
  sqlite3_bind_int64(st, 1, cnsm_now_s());
  rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE)
    return -1;
  return sqlite3_changes(db);
}
