/* ingest.c - POST /codensm/ingest: who may send (bearer key), what they
 * may send (the contract, validated whole) and storing it.
 *
 * How it works: cnsm_ingest_precheck runs when the request line and
 * headers are in, so a request without a valid key or with the wrong
 * content type is refused without buffering its body.  Once the body is
 * complete, cnsm_ingest_commit inflates it if it is gzip, hands it to
 * cnsm_ingest_parse, which checks every entry before anything is written,
 * and then to cnsm_store_ingest, which writes it in one transaction.  A
 * refusal therefore never changes the database. */
#include "ingest.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "keys.h"
#include "util.h"

/* Fills *err and returns -1, for the parser's early exits. */
static int ingestFail(struct cnsm_ingest_error *err, long index,
                      const char *field, const char *message) {
  err->index = index;
  snprintf(err->field, sizeof err->field, "%s", field);
  snprintf(err->message, sizeof err->message, "%s", message);
  return -1;
}

/* Validates a string field: present strings must be 1..max bytes of
 * valid UTF-8.  Returns the string, or NULL after filling *err. */
static const char *ingestString(const cJSON *item, long index,
                                const char *field, size_t max,
                                struct cnsm_ingest_error *err) {
  char msg[96];
  if (!cJSON_IsString(item) || item->valuestring == NULL) {
    snprintf(msg, sizeof msg, "%s must be a string", field);
    ingestFail(err, index, field, msg);
    return NULL;
  }
  size_t n = strlen(item->valuestring);
  if (n == 0 || n > max) {
    snprintf(msg, sizeof msg, "%s must be 1 to %zu bytes long", field, max);
    ingestFail(err, index, field, msg);
    return NULL;
  }
  if (!cnsm_utf8_valid(item->valuestring, n)) {
    snprintf(msg, sizeof msg,
             "%s must be valid UTF-8 without control characters", field);
    ingestFail(err, index, field, msg);
    return NULL;
  }
  return item->valuestring;
}

/* Validates a non-negative integer field no larger than 2^53-1 (what a
 * JSON number holds exactly).  An absent optional field is 0. */
static int ingestCount(const cJSON *obj, const char *field, int optional,
                       long index, int64_t *out,
                       struct cnsm_ingest_error *err) {
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, field);
  char msg[96];
  if (item == NULL && optional) {
    *out = 0;
    return 0;
  }
  if (item == NULL) {
    snprintf(msg, sizeof msg, "%s is required", field);
    return ingestFail(err, index, field, msg);
  }
  double v = item->valuedouble;
  if (!cJSON_IsNumber(item) || !isfinite(v) || v != floor(v) || v < 0 ||
      v > CNSM_INT_MAX) {
    snprintf(msg, sizeof msg, "%s must be a non-negative integer", field);
    return ingestFail(err, index, field, msg);
  }
  *out = (int64_t)v;
  return 0;
}

/* Validates a finite number in [0, max] (max < 0: no upper bound). */
static int ingestReal(const cJSON *item, const char *field, double max,
                      long index, double *out,
                      struct cnsm_ingest_error *err) {
  char msg[96];
  double v = item->valuedouble;
  if (!cJSON_IsNumber(item) || !isfinite(v) || v < 0 ||
      (max >= 0 && v > max)) {
    if (max >= 0)
      snprintf(msg, sizeof msg, "%s must be a finite number from 0 to %g",
               field, max);
    else
      snprintf(msg, sizeof msg, "%s must be a finite number >= 0", field);
    return ingestFail(err, index, field, msg);
  }
  *out = v;
  return 0;
}

/* Validates one element of "functions" into *d. */
static int ingestEntry(const cJSON *e, long i, struct cnsm_fn_delta *d,
                       struct cnsm_ingest_error *err) {
  if (!cJSON_IsObject(e)) return ingestFail(err, i, "", "entry must be an object");
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(e, "name");
  if (name == NULL) return ingestFail(err, i, "name", "name is required");
  d->name = ingestString(name, i, "name", CNSM_NAME_MAX, err);
  if (d->name == NULL) return -1;

  const cJSON *dep = cJSON_GetObjectItemCaseSensitive(e, "department");
  d->department = NULL;
  if (dep != NULL && !cJSON_IsNull(dep)) {
    d->department = ingestString(dep, i, "department", CNSM_DEPARTMENT_MAX, err);
    if (d->department == NULL) return -1;
  }
  const cJSON *w = cJSON_GetObjectItemCaseSensitive(e, "value_weight");
  d->has_weight = 0;
  d->value_weight = 1;
  if (w != NULL && !cJSON_IsNull(w)) {
    if (ingestReal(w, "value_weight", CNSM_WEIGHT_MAX, i, &d->value_weight, err))
      return -1;
    d->has_weight = 1;
  }
  if (ingestCount(e, "calls", 0, i, &d->calls, err)) return -1;
  if (ingestCount(e, "errors", 1, i, &d->errors, err)) return -1;
  if (d->errors > d->calls)
    return ingestFail(err, i, "errors", "errors must not exceed calls");
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(e, "total_ms");
  d->total_ms = 0;
  if (t != NULL && ingestReal(t, "total_ms", -1, i, &d->total_ms, err)) return -1;
  return 0;
}

/* Parses and validates a whole request; see ingest.h. */
int cnsm_ingest_parse(const char *body, size_t len, struct cnsm_batch *out,
                      struct cnsm_ingest_error *err) {
  memset(out, 0, sizeof *out);
  if (len > CNSM_BODY_MAX)
    return ingestFail(err, -1, "", "request body too large");
  const char *end = NULL;
  cJSON *root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
  if (root == NULL) return ingestFail(err, -1, "", "malformed JSON");
  /* Only whitespace may follow the document. */
  for (const char *p = end; p != NULL && p < body + len; p++) {
    if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
      cJSON_Delete(root);
      return ingestFail(err, -1, "", "malformed JSON: trailing data");
    }
  }
  if (!cJSON_IsObject(root)) {
    cJSON_Delete(root);
    return ingestFail(err, -1, "", "request must be a JSON object");
  }
  const cJSON *fns = cJSON_GetObjectItemCaseSensitive(root, "functions");
  if (!cJSON_IsArray(fns)) {
    cJSON_Delete(root);
    return ingestFail(err, -1, "functions",
                      fns ? "functions must be an array"
                          : "functions is required");
  }
  size_t n = (size_t)cJSON_GetArraySize(fns);
  struct cnsm_fn_delta *d = calloc(n ? n : 1, sizeof *d);
  if (d == NULL) {
    cJSON_Delete(root);
    return ingestFail(err, -1, "", "out of memory");
  }
  long i = 0;
  for (const cJSON *e = fns->child; e != NULL; e = e->next, i++) {
    if (ingestEntry(e, i, &d[i], err)) {
      free(d);
      cJSON_Delete(root);
      return -1;
    }
  }
  out->root = root;
  out->n = n;
  out->fn = d;
  return 0;
}

/* Frees a batch; leaves it empty. */
void cnsm_batch_free(struct cnsm_batch *b) {
  cJSON_Delete(b->root);
  free(b->fn);
  memset(b, 0, sizeof *b);
}

/* {"error": message, "index": i, "field": f}; index and field only when
 * the refusal is about one entry or one field. */
char *cnsm_ingest_error_json(const struct cnsm_ingest_error *err) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "error", err->message);
  if (err->index >= 0) cJSON_AddNumberToObject(o, "index", (double)err->index);
  if (err->field[0]) cJSON_AddStringToObject(o, "field", err->field);
  char *s = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  return s;
}

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
