/* SPDX-License-Identifier: Apache-2.0
 *
 * read_access.c - read tokens: who may see the dashboard, /api/ and
 * /metrics.
 *
 * How it works: the tokens given to `serve` (on the command line or in a
 * file) are hashed with SHA-256 as they are read and only the hashes are
 * kept, as for ingest keys (keys.c).  A request's bearer token is hashed
 * too and compared with every kept hash by nettle's memeql_sec, without
 * stopping at a match: the hashes all have one length, so the time taken
 * says neither which token matched nor how much of one did, and the
 * presented token's own length is not compared at all.  Nothing here
 * ever prints a token: an error names the option or the file and line. */
#include "read_access.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <nettle/memops.h>

/* See read_access.h. */
int cnsm_read_tokens_add(struct cnsm_read_tokens *t, const char *token,
                         char *err, size_t cap) {
  size_t len = strlen(token);
  int visible = len >= CNSM_READ_TOKEN_MIN && len <= CNSM_READ_TOKEN_MAX;
  for (size_t i = 0; visible && i < len; i++)
    visible = token[i] > ' ' && token[i] < 0x7f;
  if (!visible) {
    snprintf(err, cap,
             "a read token is %d to %d visible ASCII characters, without "
             "spaces",
             CNSM_READ_TOKEN_MIN, CNSM_READ_TOKEN_MAX);
    return -1;
  }
  if (t->n == t->cap) {
    size_t grown_cap = t->cap ? 2 * t->cap : 4;
    void *grown = realloc(t->hash, grown_cap * sizeof *t->hash);
    if (grown == NULL) {
      snprintf(err, cap, "out of memory");
      return -1;
    }
    t->hash = grown;
    t->cap = grown_cap;
  }
  cnsm_sha256(token, len, t->hash[t->n++]);
  return 0;
}

/* Trims white space (and the line's end) from both ends of s in place;
 * returns the first character kept. */
static char *read_trim(char *s) {
  while (*s == ' ' || *s == '\t')
    s++;
  size_t n = strlen(s);
  while (n > 0 && strchr(" \t\r\n", s[n - 1]) != NULL)
    s[--n] = '\0';
  return s;
}

/* See read_access.h. */
int cnsm_read_tokens_load_file(struct cnsm_read_tokens *t, const char *path,
                               char *err, size_t cap) {
  FILE *f = fopen(path, "r");
  if (f == NULL) {
    snprintf(err, cap, "cannot read --read-token-file %s: %s", path,
             strerror(errno));
    return -1;
  }
  char *line = NULL;
  size_t line_cap = 0, before = t->n;
  unsigned lineno = 0;
  int rc = 0;
  while (rc == 0 && getline(&line, &line_cap, f) >= 0) {
    lineno++;
    char *token = read_trim(line);
    if (*token == '\0' || *token == '#')
      continue;
    char why[128];
    if (cnsm_read_tokens_add(t, token, why, sizeof why) != 0) {
      snprintf(err, cap, "--read-token-file %s, line %u: %s", path, lineno,
               why);
      rc = -1;
    }
  }
  if (rc == 0 && ferror(f)) {
    snprintf(err, cap, "cannot read --read-token-file %s: %s", path,
             strerror(errno));
    rc = -1;
  }
  if (rc == 0 && t->n == before) {
    snprintf(err, cap,
             "--read-token-file %s holds no token (one per line; blank "
             "lines and lines starting with # are ignored)",
             path);
    rc = -1;
  }
  if (line != NULL)
    explicit_bzero(line, line_cap); /* the last token read stays secret */
  free(line);
  fclose(f);
  return rc;
}

/* See read_access.h. */
enum cnsm_read_verdict cnsm_read_tokens_check(const struct cnsm_read_tokens *t,
                                              const char *authorization) {
  if (t == NULL || t->n == 0)
    return CNSM_READ_OK;
  if (authorization == NULL || strncasecmp(authorization, "Bearer ", 7) != 0)
    return CNSM_READ_MISSING;
  const char *token = authorization + 7;
  while (*token == ' ')
    token++;
  size_t len = strlen(token);
  while (len > 0 && (token[len - 1] == ' ' || token[len - 1] == '\t'))
    len--;
  if (len == 0)
    return CNSM_READ_MISSING;
  uint8_t hash[CNSM_SHA256_LEN];
  cnsm_sha256(token, len, hash);
  int found = 0;
  for (size_t i = 0; i < t->n; i++)
    found |= memeql_sec(t->hash[i], hash, CNSM_SHA256_LEN);
  return found ? CNSM_READ_OK : CNSM_READ_INVALID;
}

/* See read_access.h. */
void cnsm_read_tokens_free(struct cnsm_read_tokens *t) {
  free(t->hash);
  memset(t, 0, sizeof *t);
}

/* See read_access.h. */
int cnsm_addr_is_loopback(const struct sockaddr *sa) {
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
    return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
  }
  if (sa->sa_family == AF_INET6) {
    const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
    if (IN6_IS_ADDR_LOOPBACK(a))
      return 1;
    return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
  }
  return 0;
}
