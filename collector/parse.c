/* SPDX-License-Identifier: Apache-2.0
 *
 * parse.c - the ingest request parser and validator (the contract of
 * docs/ingest-contract.md), kept apart from HTTP and SQLite so the
 * libFuzzer target in tests/collector links only this, util.c and cJSON.
 *
 * How it works: cJSON parses the body (with its length: bodies are not
 * NUL-terminated); then every entry of "functions" is checked - types,
 * ranges (total_ms up to CNSM_MS_MAX), errors <= calls, name and
 * department length and UTF-8, and the extension fields file, line,
 * hist (hist.c), callers and root_causes (edges.c) - before the batch is
 * returned.  The first problem found ends the parse with the entry's index and
 * the field's name, so a refused request is refused whole and nothing of it is
 * stored. */
#include "ingest.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edges.h"
#include "hist.h"
#include "util.h"

/* Fills *err and returns -1, for the parser's early exits. */
static int parse_fail(struct cnsm_ingest_error *err, long index,
                      const char *field, const char *message) {
  err->index = index;
  snprintf(err->field, sizeof err->field, "%s", field);
  snprintf(err->message, sizeof err->message, "%s", message);
  return -1;
}

/* Validates a string field: present strings must be 1..max bytes of
 * valid UTF-8.  Returns the string, or NULL after filling *err. */
static const char *parse_string(const cJSON *item, long index,
                                const char *field, size_t max,
                                struct cnsm_ingest_error *err) {
  char msg[96];
  if (!cJSON_IsString(item) || item->valuestring == NULL) {
    snprintf(msg, sizeof msg, "%s must be a string", field);
    parse_fail(err, index, field, msg);
    return NULL;
  }
  size_t n = strlen(item->valuestring);
  if (n == 0 || n > max) {
    snprintf(msg, sizeof msg, "%s must be 1 to %zu bytes long", field, max);
    parse_fail(err, index, field, msg);
    return NULL;
  }
  if (!cnsm_utf8_valid(item->valuestring, n)) {
    snprintf(msg, sizeof msg,
             "%s must be valid UTF-8 without control characters", field);
    parse_fail(err, index, field, msg);
    return NULL;
  }
  return item->valuestring;
}

/* Validates a non-negative integer field no larger than 2^53-1 (what a
 * JSON number holds exactly).  An absent optional field is 0. */
static int parse_count(const cJSON *obj, const char *field, int optional,
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
    return parse_fail(err, index, field, msg);
  }
  double v = item->valuedouble;
  if (!cJSON_IsNumber(item) || !isfinite(v) || v != floor(v) || v < 0 ||
      v > CNSM_INT_MAX) {
    snprintf(msg, sizeof msg, "%s must be a non-negative integer", field);
    return parse_fail(err, index, field, msg);
  }
  *out = (int64_t)v;
  return 0;
}

/* Validates a finite number in [0, max] (max < 0: no upper bound). */
static int parse_real(const cJSON *item, const char *field, double max,
                      long index, double *out, struct cnsm_ingest_error *err) {
  char msg[96];
  double v = item->valuedouble;
  if (!cJSON_IsNumber(item) || !isfinite(v) || v < 0 || (max >= 0 && v > max)) {
    if (max >= 0)
      snprintf(msg, sizeof msg, "%s must be a finite number from 0 to %g",
               field, max);
    else
      snprintf(msg, sizeof msg, "%s must be a finite number >= 0", field);
    return parse_fail(err, index, field, msg);
  }
  *out = v;
  return 0;
}

/* Validates the extension fields of element i (docs/ingest-contract.md,
 * "Extensions"): file (like name), line (an integer 1 to 2^31 - 1), hist
 * (hist.c), callers and root_causes (edges.c).  Absent ones leave *d as
 * not sent. */
static int parse_extensions(const cJSON *e, long i, struct cnsm_batch *b,
                            struct cnsm_fn_delta *d,
                            struct cnsm_ingest_error *err) {
  const cJSON *file = cJSON_GetObjectItemCaseSensitive(e, "file");
  if (file != NULL &&
      (d->file = parse_string(file, i, "file", CNSM_FILE_MAX, err)) == NULL)
    return -1;
  const cJSON *line = cJSON_GetObjectItemCaseSensitive(e, "line");
  if (line != NULL) {
    double v = line->valuedouble;
    if (!cJSON_IsNumber(line) || !isfinite(v) || v != floor(v) || v < 1 ||
        v > CNSM_LINE_MAX)
      return parse_fail(err, i, "line",
                        "line must be an integer 1 to 2^31 - 1");
    d->line = (int64_t)v;
  }
  const cJSON *hist = cJSON_GetObjectItemCaseSensitive(e, "hist");
  if (hist != NULL && cnsm_hist_parse(hist, i, b, d, err) != 0)
    return -1;
  const cJSON *callers = cJSON_GetObjectItemCaseSensitive(e, "callers");
  if (callers != NULL &&
      cnsm_edges_parse(callers, i, CNSM_EDGE_CALLERS, b, d, err) != 0)
    return -1;
  const cJSON *causes = cJSON_GetObjectItemCaseSensitive(e, "root_causes");
  return causes != NULL
             ? cnsm_edges_parse(causes, i, CNSM_EDGE_CAUSES, b, d, err)
             : 0;
}

/* Validates one element of "functions" into *d (its histogram into
 * b's pairs). */
static int parse_entry(const cJSON *e, long i, struct cnsm_batch *b,
                       struct cnsm_fn_delta *d, struct cnsm_ingest_error *err) {
  if (!cJSON_IsObject(e))
    return parse_fail(err, i, "", "entry must be an object");
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(e, "name");
  if (name == NULL)
    return parse_fail(err, i, "name", "name is required");
  d->name = parse_string(name, i, "name", CNSM_NAME_MAX, err);
  if (d->name == NULL)
    return -1;

  const cJSON *dep = cJSON_GetObjectItemCaseSensitive(e, "department");
  d->department = NULL;
  if (dep != NULL && !cJSON_IsNull(dep)) {
    d->department =
        parse_string(dep, i, "department", CNSM_DEPARTMENT_MAX, err);
    if (d->department == NULL)
      return -1;
  }
  const cJSON *w = cJSON_GetObjectItemCaseSensitive(e, "value_weight");
  d->has_weight = 0;
  d->value_weight = 1;
  if (w != NULL && !cJSON_IsNull(w)) {
    if (parse_real(w, "value_weight", CNSM_WEIGHT_MAX, i, &d->value_weight,
                   err))
      return -1;
    d->has_weight = 1;
  }
  if (parse_count(e, "calls", 0, i, &d->calls, err))
    return -1;
  if (parse_count(e, "errors", 1, i, &d->errors, err))
    return -1;
  if (d->errors > d->calls)
    return parse_fail(err, i, "errors", "errors must not exceed calls");
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(e, "total_ms");
  d->total_ms = 0;
  if (t != NULL && parse_real(t, "total_ms", CNSM_MS_MAX, i, &d->total_ms, err))
    return -1;
  return parse_extensions(e, i, b, d, err);
}

/* Parses and validates a whole request; see ingest.h. */
int cnsm_ingest_parse(const char *body, size_t len, struct cnsm_batch *out,
                      struct cnsm_ingest_error *err) {
  memset(out, 0, sizeof *out);
  if (len > CNSM_BODY_MAX)
    return parse_fail(err, -1, "", "request body too large");
  if (cnsm_json_has_nul(body, len))
    return parse_fail(err, -1, "",
                      "strings must not hold NUL (\\u0000): a name would be "
                      "cut there");
  const char *end = NULL;
  cJSON *root = cJSON_ParseWithLengthOpts(body, len, &end, 0);
  if (root == NULL)
    return parse_fail(err, -1, "", "malformed JSON");
  /* Only whitespace may follow the document. */
  for (const char *p = end; p != NULL && p < body + len; p++) {
    if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
      cJSON_Delete(root);
      return parse_fail(err, -1, "", "malformed JSON: trailing data");
    }
  }
  if (!cJSON_IsObject(root)) {
    cJSON_Delete(root);
    return parse_fail(err, -1, "", "request must be a JSON object");
  }
  const cJSON *fns = cJSON_GetObjectItemCaseSensitive(root, "functions");
  if (!cJSON_IsArray(fns)) {
    cJSON_Delete(root);
    return parse_fail(err, -1, "functions",
                      fns ? "functions must be an array"
                          : "functions is required");
  }
  size_t n = (size_t)cJSON_GetArraySize(fns);
  struct cnsm_fn_delta *d = calloc(n ? n : 1, sizeof *d);
  if (d == NULL) {
    cJSON_Delete(root);
    return parse_fail(err, -1, "", "out of memory");
  }
  out->root = root;
  out->n = n;
  out->fn = d;
  long i = 0;
  for (const cJSON *e = fns->child; e != NULL; e = e->next, i++) {
    if (parse_entry(e, i, out, &d[i], err)) {
      cnsm_batch_free(out);
      return -1;
    }
  }
  return 0;
}

/* Checks an Idempotency-Key header value; see ingest.h. */
int cnsm_idem_key_valid(const char *key) {
  static const char k_extra[] = "_.:-";
  size_t n = 0;
  for (; key[n] != '\0'; n++) {
    unsigned char c = (unsigned char)key[n];
    int alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                (c >= 'A' && c <= 'Z');
    if (n >= CNSM_IDEM_MAX || (!alnum && strchr(k_extra, c) == NULL))
      return 0;
  }
  return n >= CNSM_IDEM_MIN;
}

/* Visible ASCII only: a label is a header value (no spaces, which HTTP
 * trims, no controls) and a filter typed on a command line. */
int cnsm_label_valid(const char *value) {
  size_t n = 0;
  for (; value[n] != '\0'; n++)
    if (n >= CNSM_LABEL_MAX || value[n] < '!' || value[n] > '~')
      return 0;
  return 1;
}

/* Frees a batch; leaves it empty. */
void cnsm_batch_free(struct cnsm_batch *b) {
  cJSON_Delete(b->root);
  free(b->fn);
  free(b->hist);
  free(b->edges);
  memset(b, 0, sizeof *b);
}

/* {"error": message, "index": i, "field": f}; index and field only when
 * the refusal is about one entry or one field. */
char *cnsm_ingest_error_json(const struct cnsm_ingest_error *err) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "error", err->message);
  if (err->index >= 0)
    cJSON_AddNumberToObject(o, "index", (double)err->index);
  if (err->field[0])
    cJSON_AddStringToObject(o, "field", err->field);
  char *s = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  return s;
}
