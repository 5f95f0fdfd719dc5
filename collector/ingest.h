/* SPDX-License-Identifier: Apache-2.0
 *
 * ingest.h - the ingest contract: parsing and validating a request body
 * (pure, fuzzed), and handling POST /codensm/ingest end to end.
 * The contract itself is described in docs/ingest-contract.md. */
#ifndef CNSM_INGEST_H
#define CNSM_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "codensm_abi.h"
#include "reply.h"
#include "store.h"

/* The contract's limits, shared with the pass and the runtime. */
#define CNSM_NAME_MAX CNSM_MAX_NAME_BYTES /* bytes of UTF-8 in a name */
#define CNSM_DEPARTMENT_MAX CNSM_MAX_DEPARTMENT_BYTES /* ... a department */
#define CNSM_BODY_MAX (4u << 20)        /* bytes of request body (decoded) */
#define CNSM_INT_MAX 9007199254740991.0 /* 2^53 - 1: exact in JSON */
#define CNSM_WEIGHT_MAX ((double)CNSM_MAX_WEIGHT)
#define CNSM_MS_MAX 1e18 /* total_ms of an element, and of a project */
/* Idempotency-Key: 16-128 characters of [A-Za-z0-9_.:-], kept 7 days. */
#define CNSM_IDEM_MIN 16
#define CNSM_IDEM_MAX 128
#define CNSM_IDEM_TTL_S (7 * 86400)

/* Labels (X-CodeNSM-Version, X-CodeNSM-Instance headers): at most
 * CNSM_LABEL_MAX characters of visible ASCII (! to ~), "" when absent. */
#define CNSM_LABEL_MAX 128

/* The labels a batch is stored under; never NULL once checked. */
struct cnsm_labels {
  const char *version, *instance;
};

/* The extensions (docs/ingest-contract.md, "Extensions"): the source
 * location of a function is a file of at most CNSM_FILE_MAX bytes and a
 * line up to CNSM_LINE_MAX; its latency histogram holds at most
 * CNSM_HIST_BUCKETS [bucket, count] pairs (include/codensm_hist.h). */
#define CNSM_FILE_MAX CNSM_MAX_NAME_BYTES /* "the same rules as name" */
#define CNSM_LINE_MAX 2147483647          /* 2^31 - 1 */

/* One [bucket, count] pair of an element's "hist". */
struct cnsm_hist_pair {
  uint32_t bucket; /* 0 .. CNSM_HIST_BUCKETS - 1, ascending in an element */
  int64_t count;   /* 1 .. 2^53 - 1 */
};

/* The extensions "callers" and "causes": an element's "callers" (its
 * calls by instrumented caller) and "root_causes" (its error exits by
 * root cause) are lists of named counts, at most CNSM_CALLERS_MAX and
 * CNSM_CAUSES_MAX entries, names distinct within a list (edges.c). */
#define CNSM_CALLERS_MAX 4096
#define CNSM_CAUSES_MAX 256
enum cnsm_edge_list { CNSM_EDGE_CALLERS = 0, CNSM_EDGE_CAUSES = 1 };

/* One entry of "callers" ({"name", "calls"}) or "root_causes"
 * ({"name", "errors"}). */
struct cnsm_edge {
  const char *name; /* points into the parsed tree */
  int64_t count;    /* 1 .. 2^53 - 1 */
};

/* One element of "functions": a delta since the sender's last ack. */
struct cnsm_fn_delta {
  const char *name;       /* points into the parsed tree */
  const char *department; /* NULL: not sent, keep what is stored */
  double value_weight;    /* meaningful only if has_weight */
  int has_weight;
  int64_t calls, errors;
  double total_ms;
  const char *file; /* NULL: not sent, keep what is stored */
  int64_t line;     /* 0: not sent, keep what is stored */
  size_t hist_at;   /* its pairs: the batch's hist[hist_at .. + nhist) */
  size_t nhist;
  /* its callers and root causes: the batch's edges[edge_at[l] .. +
   * nedge[l]) for l a cnsm_edge_list */
  size_t edge_at[2], nedge[2];
};

/* A whole validated request. */
struct cnsm_batch {
  cJSON *root;               /* owns the strings the deltas point to */
  struct cnsm_labels labels; /* the request's, outside the body */
  size_t n;
  struct cnsm_fn_delta *fn;
  struct cnsm_hist_pair *hist; /* every element's pairs, in element order */
  size_t nhist, hist_cap;
  struct cnsm_edge *edges; /* every element's callers and causes */
  size_t nedges, edges_cap;
};

/* Why a request was refused: index is the entry (-1: the request as a
 * whole), field the offending field ("" if none). */
struct cnsm_ingest_error {
  long index;
  char field[32];
  char message[192];
};

/* Parses and validates body[0..len) whole.  On success fills *out and
 * returns 0 (free it with cnsm_batch_free); on failure fills *err and
 * returns -1, leaving *out empty.  Touches no database: the fuzzer calls
 * it directly. */
int cnsm_ingest_parse(const char *body, size_t len, struct cnsm_batch *out,
                      struct cnsm_ingest_error *err);

/* Returns 1 if key is a well-formed Idempotency-Key header value
 * (CNSM_IDEM_MIN..CNSM_IDEM_MAX characters of [A-Za-z0-9_.:-]), else 0.
 * Pure: the fuzzer calls it too. */
int cnsm_idem_key_valid(const char *key);

/* Returns 1 if value is a well-formed label header value (0 to
 * CNSM_LABEL_MAX characters of visible ASCII), else 0.  Pure. */
int cnsm_label_valid(const char *value);

/* Checks the label headers (NULL: absent, taken as "") into *out; 0, or
 * -1 with a 400 naming the header in *reply. */
int cnsm_labels_check(const char *version, const char *instance,
                      struct cnsm_labels *out, struct cnsm_reply *reply);

/* Releases what cnsm_ingest_parse allocated.  Safe on an empty batch. */
void cnsm_batch_free(struct cnsm_batch *b);

/* Renders a refusal as the JSON body sent with the 4xx status. */
char *cnsm_ingest_error_json(const struct cnsm_ingest_error *err);

/* First look at an ingest request, before its body is read: checks the
 * bearer key (401), the content type (415), the content encoding (415)
 * and the Idempotency-Key header, which may be NULL (400 if malformed).
 * Returns 0 and copies the key's project into project[cap] if the
 * request may proceed, or -1 with *reply filled. */
int cnsm_ingest_precheck(struct cnsm_store *st, const char *authorization,
                         const char *content_type, const char *encoding,
                         const char *idem_key, char *project, size_t cap,
                         struct cnsm_reply *reply);

/* Handles the whole body of an accepted request: gunzips it if encoding
 * is "gzip" (413 if it inflates past CNSM_BODY_MAX), validates it (400),
 * checks the database is still there (503) and stores it in one
 * transaction: 200 {"accepted": N}, or for a batch already stored under
 * idem_key (NULL: none) 200 {"accepted": N, "duplicate": true}; 422 if
 * the key came with another body or the project's totals would pass
 * their limits; 503 on database failure.  Always fills *reply. */
void cnsm_ingest_commit(struct cnsm_store *st, const char *project,
                        const char *encoding, const char *idem_key,
                        const struct cnsm_labels *labels, const char *body,
                        size_t len, struct cnsm_reply *reply);

#endif
