/* SPDX-License-Identifier: Apache-2.0
 *
 * read_access.h - who may read the figures: the read tokens of
 * `serve --read-token` and `--read-token-file`, which the dashboard,
 * /api/ and /metrics then require as "Authorization: Bearer TOKEN".
 * Ingest keys (keys.h) are a separate matter and unchanged. */
#ifndef CNSM_READ_ACCESS_H
#define CNSM_READ_ACCESS_H

#include <stddef.h>
#include <stdint.h>

#include <sys/socket.h>

#include "sha256.h"

#define CNSM_READ_TOKEN_MIN 16  /* shorter ones are guessable */
#define CNSM_READ_TOKEN_MAX 512 /* and longer ones are a mistake */

/* The accepted read tokens, kept as SHA-256 hashes only.  Empty (n 0):
 * reading is open, as before read tokens existed. */
struct cnsm_read_tokens {
  size_t n, cap;
  uint8_t (*hash)[CNSM_SHA256_LEN];
};

enum cnsm_read_verdict {
  CNSM_READ_OK = 0,      /* no tokens configured, or one matched */
  CNSM_READ_MISSING = 1, /* no bearer token in the request */
  CNSM_READ_INVALID = 2  /* a bearer token that matches none */
};

/* Adds one token: CNSM_READ_TOKEN_MIN..MAX visible ASCII characters (no
 * space or control character: it travels in an HTTP header).  Returns 0,
 * or -1 with the reason in err[cap], which never quotes the token. */
int cnsm_read_tokens_add(struct cnsm_read_tokens *t, const char *token,
                         char *err, size_t cap);

/* Adds every token of the file at path: one per line, surrounding white
 * space trimmed, blank lines and lines starting with '#' ignored.  A file
 * that cannot be read, holds a malformed line or no token at all is an
 * error.  Returns 0, or -1 with the reason in err[cap] (the path and a
 * line number, never a line's text). */
int cnsm_read_tokens_load_file(struct cnsm_read_tokens *t, const char *path,
                               char *err, size_t cap);

/* Decides a read request from its Authorization header (NULL: none).
 * The presented token is hashed and compared with every accepted hash
 * in constant time, without stopping at a match. */
enum cnsm_read_verdict cnsm_read_tokens_check(const struct cnsm_read_tokens *t,
                                              const char *authorization);

/* Frees the hashes; *t is empty afterwards. */
void cnsm_read_tokens_free(struct cnsm_read_tokens *t);

/* Returns 1 if sa is a loopback address (127.0.0.0/8, ::1, or an
 * IPv4-mapped 127.x), 0 otherwise (the wildcard addresses included):
 * only then is open reading safe by default. */
int cnsm_addr_is_loopback(const struct sockaddr *sa);

#endif
