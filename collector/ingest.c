/* SPDX-License-Identifier: Apache-2.0
 *
 * ingest.c - POST /codensm/ingest: who may send (bearer key), what they
 * may send (validated whole by parse.c) and storing it.
 *
 * How it works: cnsm_ingest_precheck runs when the request line and
 * headers are in, so a request without a valid key or with the wrong
 * content type is refused without buffering its body.  Once the body is
 * complete, cnsm_ingest_commit inflates it if it is gzip, hands it to
 * cnsm_ingest_parse, which checks every entry before anything is written,
 * and then to cnsm_store_ingest, which writes it in one transaction.  A
 * refusal therefore never changes the database.  A batch named by an
 * Idempotency-Key is stored once (store_batches.c), and no project total
 * may pass its limit (store_totals.c). */
#include "ingest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "keys.h"
#include "sha256.h"
#include "util.h"

/* Fills *reply with status and a {"error": message, "field": field}
 * body (field NULL: none). */
static void ingest_reply_field(struct cnsm_reply *reply, unsigned status,
                               const char *field, const char *message) {
  struct cnsm_ingest_error e = {.index = -1};
  /* Cut to the reply's fields on purpose (the precision says so to
   * -Wformat-truncation of optimised builds). */
  snprintf(e.message, sizeof e.message, "%.*s", (int)sizeof e.message - 1,
           message);
  snprintf(e.field, sizeof e.field, "%.*s", (int)sizeof e.field - 1,
           field ? field : "");
  cnsm_reply_set(reply, status, "application/json", cnsm_ingest_error_json(&e));
}

/* Fills *reply with status and a {"error": message} body. */
static void ingest_reply(struct cnsm_reply *reply, unsigned status,
                         const char *message) {
  struct cnsm_ingest_error e = {.index = -1};
  snprintf(e.message, sizeof e.message, "%.*s", (int)sizeof e.message - 1,
           message);
  cnsm_reply_set(reply, status, "application/json", cnsm_ingest_error_json(&e));
}

/* Checks key, content type and encoding before the body is read. */
int cnsm_ingest_precheck(struct cnsm_store *st, const char *authorization,
                         const char *content_type, const char *encoding,
                         const char *idem_key, char *project, size_t cap,
                         struct cnsm_reply *reply) {
  const char *key = NULL;
  if (authorization != NULL && strncasecmp(authorization, "Bearer ", 7) == 0) {
    key = authorization + 7;
    while (*key == ' ')
      key++;
  }
  if (key == NULL || *key == '\0') {
    ingest_reply(reply, 401,
                 "missing bearer key (Authorization: Bearer <key>)");
    return -1;
  }
  struct cnsm_conn *db = cnsm_store_acquire(st);
  int ok = cnsm_key_check(db, key, project, cap);
  cnsm_store_release(st, db);
  if (ok < 0) {
    ingest_reply(reply, 503, "database unavailable");
    return -1;
  }
  if (ok == 0) {
    ingest_reply(reply, 401, "invalid or revoked key");
    return -1;
  }
  size_t ctlen = content_type ? strcspn(content_type, "; \t") : 0;
  if (content_type == NULL || ctlen != 16 ||
      strncasecmp(content_type, "application/json", 16) != 0) {
    ingest_reply(reply, 415, "Content-Type must be application/json");
    return -1;
  }
  if (encoding != NULL && strcasecmp(encoding, "identity") != 0 &&
      strcasecmp(encoding, "gzip") != 0) {
    ingest_reply(reply, 415, "Content-Encoding must be gzip or identity");
    return -1;
  }
  if (idem_key != NULL && !cnsm_idem_key_valid(idem_key)) {
    ingest_reply_field(reply, 400, "Idempotency-Key",
                       "Idempotency-Key must be 16 to 128 characters of "
                       "A-Z a-z 0-9 _ . : -");
    return -1;
  }
  return 0;
}

/* Checks the label headers; see ingest.h. */
int cnsm_labels_check(const char *version, const char *instance,
                      struct cnsm_labels *out, struct cnsm_reply *reply) {
  out->version = version ? version : "";
  out->instance = instance ? instance : "";
  const char *bad = !cnsm_label_valid(out->version)    ? "X-CodeNSM-Version"
                    : !cnsm_label_valid(out->instance) ? "X-CodeNSM-Instance"
                                                       : NULL;
  if (bad == NULL)
    return 0;
  char why[160];
  snprintf(why, sizeof why,
           "%s must be at most 128 characters of visible ASCII (! to ~)", bad);
  ingest_reply_field(reply, 400, bad, why);
  return -1;
}

/* Inflates a gzip body into a new buffer of at most CNSM_BODY_MAX bytes.
 * Returns 0, -1 on a corrupt stream, -2 if it inflates past the limit. */
static int ingest_gunzip(const char *in, size_t len, char **out, size_t *olen) {
  z_stream z;
  memset(&z, 0, sizeof z);
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
    return -1;
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
  /* RFC 1952: a stream may be several members one after another, which
   * gzip -d inflates all; anything else after an end is corrupt (the
   * second member's functions were dropped, trailing bytes ignored). */
  while (rc == Z_STREAM_END && z.avail_in > 0 && z.avail_out > 0 &&
         inflateReset(&z) == Z_OK)
    rc = inflate(&z, Z_FINISH);
  size_t produced = cap - z.avail_out;
  int whole = z.avail_in == 0;
  inflateEnd(&z);
  if (rc == Z_STREAM_END && whole && produced <= CNSM_BODY_MAX) {
    *out = buf;
    *olen = produced;
    return 0;
  }
  free(buf);
  return (produced > CNSM_BODY_MAX) ? -2 : -1;
}

/* Stores a validated batch if the database is healthy, and answers.
 * The health check asks no server (on PostgreSQL that was one more
 * round trip per request): a server that went away fails the key check
 * or the transaction, which answer 503 as well. */
static void ingest_store(struct cnsm_store *st, const char *project,
                         const struct cnsm_batch *b,
                         const struct cnsm_batch_id *id,
                         struct cnsm_reply *reply) {
  char why[512], buf[96];
  if (cnsm_store_health(st, 0, why, sizeof why) != 0) {
    cnsm_reply_error(reply, 503, why);
    return;
  }
  int64_t accepted = 0;
  const char *field = NULL;
  struct cnsm_conn *db = cnsm_store_acquire(st);
  enum cnsm_store_outcome out =
      cnsm_store_ingest(db, project, b, id, cnsm_now_s(), &accepted, &field);
  cnsm_store_release(st, db);
  cnsm_store_note_write(st, out);
  switch (out) {
  case CNSM_STORED:
  case CNSM_DUPLICATE:
    snprintf(buf, sizeof buf, "{\"accepted\":%lld%s}", (long long)accepted,
             out == CNSM_DUPLICATE ? ",\"duplicate\":true" : "");
    cnsm_reply_set(reply, 200, "application/json", strdup(buf));
    break;
  case CNSM_KEY_REUSED:
    ingest_reply_field(reply, 422, "Idempotency-Key",
                       "this Idempotency-Key was used for another body; "
                       "a key names exactly one batch");
    break;
  case CNSM_OVER_LIMIT:
    snprintf(why, 160,
             "the project's %s would pass its limit "
             "(calls and errors 2^53-1, total_ms 1e18); nothing stored",
             field);
    ingest_reply_field(reply, 422, field, why);
    break;
  case CNSM_STORE_FULL:
    ingest_reply(reply, 503,
                 "the collector's database disk is full; nothing stored, "
                 "retry later");
    break;
  default:
    ingest_reply(reply, 503, "database busy or failing; retry later");
  }
}

/* Validates and stores a complete body; see ingest.h. */
void cnsm_ingest_commit(struct cnsm_store *st, const char *project,
                        const char *encoding, const char *idem_key,
                        const struct cnsm_labels *labels, const char *body,
                        size_t len, struct cnsm_reply *reply) {
  char *plain = NULL;
  if (encoding != NULL && strcasecmp(encoding, "gzip") == 0) {
    size_t plen;
    int rc = ingest_gunzip(body, len, &plain, &plen);
    if (rc == -2) {
      ingest_reply(reply, 413, "request body too large once inflated");
      return;
    }
    if (rc != 0) {
      ingest_reply(reply, 400, "corrupt gzip body");
      return;
    }
    body = plain;
    len = plen;
  }
  struct cnsm_batch b;
  struct cnsm_ingest_error err;
  if (cnsm_ingest_parse(body, len, &b, &err) != 0) {
    cnsm_reply_set(reply, 400, "application/json",
                   cnsm_ingest_error_json(&err));
    free(plain);
    return;
  }
  b.labels = *labels;
  struct cnsm_batch_id id = {.key = idem_key};
  if (idem_key != NULL)
    cnsm_sha256(body, len, id.body_hash);
  ingest_store(st, project, &b, idem_key ? &id : NULL, reply);
  cnsm_batch_free(&b);
  free(plain);
}
