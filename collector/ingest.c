/* ingest.c - POST /codensm/ingest: who may send (bearer key), what they
 * may send (validated whole by parse.c) and storing it.
 *
 * How it works: cnsm_ingest_precheck runs when the request line and
 * headers are in, so a request without a valid key or with the wrong
 * content type is refused without buffering its body.  Once the body is
 * complete, cnsm_ingest_commit inflates it if it is gzip, hands it to
 * cnsm_ingest_parse, which checks every entry before anything is written,
 * and then to cnsm_store_ingest, which writes it in one transaction.  A
 * refusal therefore never changes the database. */
#include "ingest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "keys.h"
#include "util.h"

/* Fills *reply with status and a {"error": message} body. */
static void ingestReply(struct cnsm_reply *reply, unsigned status,
                        const char *message) {
  struct cnsm_ingest_error e = {.index = -1};
  snprintf(e.message, sizeof e.message, "%s", message);
  cnsm_reply_set(reply, status, "application/json", cnsm_ingest_error_json(&e));
}

/* Checks key, content type and encoding before the body is read. */
int cnsm_ingest_precheck(struct cnsm_store *st, const char *authorization,
                         const char *content_type, const char *encoding,
                         char *project, size_t cap, struct cnsm_reply *reply) {
  const char *key = NULL;
  if (authorization != NULL && strncasecmp(authorization, "Bearer ", 7) == 0) {
    key = authorization + 7;
    while (*key == ' ') key++;
  }
  if (key == NULL || *key == '\0') {
    ingestReply(reply, 401, "missing bearer key (Authorization: Bearer <key>)");
    return -1;
  }
  sqlite3 *db = cnsm_store_acquire(st);
  int ok = cnsm_key_check(db, key, project, cap);
  cnsm_store_release(st, db);
  if (ok < 0) {
    ingestReply(reply, 503, "database unavailable");
    return -1;
  }
  if (ok == 0) {
    ingestReply(reply, 401, "invalid or revoked key");
    return -1;
  }
  size_t ctlen = content_type ? strcspn(content_type, "; \t") : 0;
  if (content_type == NULL || ctlen != 16 ||
      strncasecmp(content_type, "application/json", 16) != 0) {
    ingestReply(reply, 415, "Content-Type must be application/json");
    return -1;
  }
  if (encoding != NULL && strcasecmp(encoding, "identity") != 0 &&
      strcasecmp(encoding, "gzip") != 0) {
    ingestReply(reply, 415, "Content-Encoding must be gzip or identity");
    return -1;
  }
  return 0;
}

/* Inflates a gzip body into a new buffer of at most CNSM_BODY_MAX bytes.
 * Returns 0, -1 on a corrupt stream, -2 if it inflates past the limit. */
static int ingestGunzip(const char *in, size_t len, char **out, size_t *olen) {
  z_stream z;
  memset(&z, 0, sizeof z);
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return -1;
  size_t cap = CNSM_BODY_MAX + 1;
  char *buf = malloc(cap);
  if (buf == NULL) {
    inflateEnd(&z);
    return -1;
  }
  z.next_in = (Bytef *)in;
  z.avail_in = (uInt)len;
  z.next_out = (Bytef *)buf;
  z.avail_out = (uInt)cap;
  int rc = inflate(&z, Z_FINISH);
  size_t produced = cap - z.avail_out;
  inflateEnd(&z);
  if (rc == Z_STREAM_END && produced <= CNSM_BODY_MAX) {
    *out = buf;
    *olen = produced;
    return 0;
  }
  free(buf);
  return (produced > CNSM_BODY_MAX) ? -2 : -1;
}

/* Validates and stores a complete body; see ingest.h. */
void cnsm_ingest_commit(struct cnsm_store *st, const char *project,
                        const char *encoding, const char *body, size_t len,
                        struct cnsm_reply *reply) {
  char *plain = NULL;
  if (encoding != NULL && strcasecmp(encoding, "gzip") == 0) {
    size_t plen;
    int rc = ingestGunzip(body, len, &plain, &plen);
    if (rc == -2) {
      ingestReply(reply, 413, "request body too large once inflated");
      return;
    }
    if (rc != 0) {
      ingestReply(reply, 400, "corrupt gzip body");
      return;
    }
    body = plain;
    len = plen;
  }
  struct cnsm_batch b;
  struct cnsm_ingest_error err;
  if (cnsm_ingest_parse(body, len, &b, &err) != 0) {
    cnsm_reply_set(reply, 400, "application/json", cnsm_ingest_error_json(&err));
    free(plain);
    return;
  }
  sqlite3 *db = cnsm_store_acquire(st);
  int rc = cnsm_store_ingest(db, project, &b, cnsm_now_s());
  cnsm_store_release(st, db);
  if (rc != 0) {
    ingestReply(reply, 503, "database busy or failing; retry later");
  } else {
    char buf[64];
    snprintf(buf, sizeof buf, "{\"accepted\":%zu}", b.n);
    cnsm_reply_set(reply, 200, "application/json", strdup(buf));
  }
  cnsm_batch_free(&b);
  free(plain);
}
