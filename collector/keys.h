/* SPDX-License-Identifier: Apache-2.0
 *
 * keys.h - ingest keys: one or more per project, stored as SHA-256
 * hashes, checked in constant time, revocable. */
#ifndef CNSM_KEYS_H
#define CNSM_KEYS_H

#include <stddef.h>
#include <stdio.h>

#include "store.h"

#define CNSM_KEY_PREFIX "cnsm_"
#define CNSM_KEY_LEN (5 + 64) /* "cnsm_" + 32 random bytes in hex */
#define CNSM_KEY_HINT_LEN 13  /* what `key list` shows: "cnsm_" + 8 hex */
#define CNSM_PROJECT_MAX 128

/* Creates a key for project (1..128 bytes of UTF-8) and writes it,
 * NUL-terminated, to key[CNSM_KEY_LEN + 1].  Only its hash is stored.
 * Returns 0, or -1 with a message on stderr. */
int cnsm_key_create(struct cnsm_conn *c, const char *project, char *key);

/* Checks a presented key against every live key, comparing hashes in
 * constant time.  Returns 1 and copies its project into project[cap],
 * 0 if no live key matches, -1 on a database error. */
int cnsm_key_check(struct cnsm_conn *c, const char *key, char *project,
                   size_t cap);

/* Prints every key (hint, project, created, revoked) as a table. */
int cnsm_key_list(struct cnsm_conn *c, FILE *out);

/* Revokes the key given whole, or by the hint `key list` shows when that
 * hint is unique.  Returns the number revoked (0 or 1), -1 on error. */
int cnsm_key_revoke(struct cnsm_conn *c, const char *key_or_hint);

#endif
