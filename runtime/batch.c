/* SPDX-License-Identifier: Apache-2.0
 *
 * batch.c - Idempotency-Keys, and frozen batches.
 *
 * The collector stores a batch once per Idempotency-Key and refuses the
 * same key with another body (422), so exactly once needs two rules on the
 * sender's side: every new body gets a new key, and a body that may have
 * been stored (sent, no answer: timeout, reset, 5xx, 408, 429) is
 * "frozen": resent later with exactly the same bytes and key until it is
 * acknowledged, never merged with newer deltas.  Without the key, a lost
 * answer made the runtime send the batch again: 56,000 calls stored for
 * 36,000 made.
 *
 * Keys are <32 hex digits from getrandom(): 128 bits, new per process and
 * per fork child>-<sequence>, so two processes never share one.  Frozen
 * batches are queued oldest first; the flusher also writes each to the
 * spool when it freezes it (spool.c), so a process killed before it got
 * an answer leaves it for the next one, which resends it verbatim.  Flush
 * lock held for everything here.
 */
#define _GNU_SOURCE
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "internal.h"

static char prefix[33];        /* 128 random bits in hex; "" until first use */
static unsigned long long seq; /* batches named by this process */
static struct cnsm_frozen *head, *tail;

/* Fork child: new random keys; the parent's frozen batches are its own. */
static void fork_child(void) {
  prefix[0] = '\0';   /* a fresh random prefix at the child's first batch */
  head = tail = NULL; /* the parent's, leaked on purpose */
}

static void install_fork_handlers(void) {
  pthread_atfork(NULL, NULL, fork_child);
}

void cnsm_batch_init_once(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, install_fork_handlers);
}

/* Draws a new random prefix (getrandom; the clock and pid if it fails). */
static void new_prefix(void) {
  cnsm_batch_init_once();
  unsigned char r[16];
  if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
    uint64_t a = cnsm_now_ns(),
             b = (uint64_t)(uint32_t)getpid() * 0x9e3779b97f4a7c15ull;
    memcpy(r, &a, 8);
    memcpy(r + 8, &b, 8);
  }
  for (int i = 0; i < 16; i++)
    snprintf(prefix + 2 * i, 3, "%02x", r[i]);
  seq = 0;
}

void cnsm_batch_new_key(char key[CNSM_KEY_SIZE]) {
  if (!prefix[0])
    new_prefix();
  snprintf(key, CNSM_KEY_SIZE, "%s-%llu", prefix, ++seq);
}

/* 16..128 characters of [A-Za-z0-9_.:-], as the collector checks. */
int cnsm_batch_key_valid(const char *key) {
  size_t n = strlen(key);
  if (n < 16 || n >= CNSM_KEY_SIZE)
    return 0;
  return strspn(key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                     "0123456789_.:-") == n;
}

/* Appends f to the queue. */
static void enqueue(struct cnsm_frozen *f) {
  cnsm_batch_init_once();
  f->next = NULL;
  if (tail)
    tail->next = f;
  else
    head = f;
  tail = f;
}

/* Frees f and its strings. */
static void frozen_free(struct cnsm_frozen *f) {
  free(f->body);
  free(f->items);
  free(f->path);
  free(f->version);
  free(f->instance);
  free(f);
}

struct cnsm_frozen *cnsm_frozen_add(const char *key, const char *body,
                                    const struct cnsm_delta *d, size_t n) {
  struct cnsm_frozen *f = calloc(1, sizeof *f);
  if (!f)
    return NULL;
  f->body = strdup(body);
  f->items = calloc(n ? n : 1, sizeof *f->items);
  if (!f->body || !f->items) {
    frozen_free(f);
    return NULL;
  }
  snprintf(f->key, sizeof f->key, "%s", key);
  for (size_t i = 0; i < n; i++)
    f->items[i] = (struct cnsm_batch_item){
        d[i].index, d[i].calls + d[i].pend_calls,
        d[i].errors + d[i].pend_errors, d[i].ns + d[i].pend_ns};
  f->n = n;
  enqueue(f);
  return f;
}

/* Fills f->items from its body's functions (table entries interned). */
static int items_from_body(struct cnsm_frozen *f) {
  cJSON *root = cJSON_Parse(f->body);
  const cJSON *fns = cJSON_GetObjectItemCaseSensitive(root, "functions");
  if (!cJSON_IsArray(fns)) {
    cJSON_Delete(root);
    return -1;
  }
  size_t n = (size_t)cJSON_GetArraySize(fns);
  f->items = calloc(n ? n : 1, sizeof *f->items);
  const cJSON *o;
  pthread_mutex_lock(&cnsm_registry_lock);
  cJSON_ArrayForEach(o, fns) {
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(o, "name");
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(o, "calls");
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "errors");
    const cJSON *ms = cJSON_GetObjectItemCaseSensitive(o, "total_ms");
    if (!f->items || !cJSON_IsString(name))
      continue;
    size_t i = cnsm_fn_intern(name->valuestring, "", 1);
    if (i == SIZE_MAX)
      continue;
    double cv = cJSON_IsNumber(c) && c->valuedouble > 0 ? c->valuedouble : 0;
    double ev = cJSON_IsNumber(e) && e->valuedouble > 0 ? e->valuedouble : 0;
    double nv =
        cJSON_IsNumber(ms) && ms->valuedouble > 0 ? ms->valuedouble * 1e6 : 0;
    cv = cv < 1.8e19 ? cv : 0; /* beyond uint64: the collector refuses it */
    ev = ev < cv ? ev : cv;
    f->items[f->n++] = (struct cnsm_batch_item){i, (uint64_t)cv, (uint64_t)ev,
                                                nv < 1.8e19 ? (uint64_t)nv : 0};
  }
  pthread_mutex_unlock(&cnsm_registry_lock);
  cJSON_Delete(root);
  return f->items ? 0 : -1;
}

/* A copy of a spool file's label when it is one the collector accepts
 * (at most 128 bytes of visible ASCII, as config.c makes them), else
 * NULL: the spool directory is not trusted, and a label is a header. */
static char *label_copy(const char *label) {
  if (!label || strlen(label) > 128)
    return NULL;
  for (const char *p = label; *p; p++)
    if (*p < '!' || *p > '~')
      return NULL;
  return strdup(label);
}

int cnsm_frozen_adopt(const char *key, const char *body, char *path,
                      const char *version, const char *instance) {
  if (!cnsm_batch_key_valid(key))
    return -1;
  struct cnsm_frozen *f = calloc(1, sizeof *f);
  if (!f || !(f->body = strdup(body)) || items_from_body(f) != 0) {
    if (f)
      frozen_free(f);
    return -1;
  }
  snprintf(f->key, sizeof f->key, "%s", key);
  f->path = path;
  /* Both or neither: a batch is never sent half under another's labels. */
  f->version = label_copy(version);
  f->instance = label_copy(instance);
  if (!f->version || !f->instance) {
    free(f->version);
    free(f->instance);
    f->version = f->instance = NULL;
  }
  enqueue(f);
  return 0;
}

struct cnsm_frozen *cnsm_frozen_first(void) {
  return head;
}

void cnsm_frozen_pop(void) {
  struct cnsm_frozen *f = head;
  if (!f)
    return;
  head = f->next;
  if (!head)
    tail = NULL;
  if (f->path)
    unlink(f->path);
  frozen_free(f);
}

/* Renames "<name>.claimed-<pid>" back to "<name>": the next process of
 * this endpoint and key takes it over at once. */
void cnsm_frozen_unclaim_all(void) {
  for (struct cnsm_frozen *f = head; f; f = f->next) {
    char *c = f->path ? strstr(f->path, ".claimed-") : NULL;
    if (!c)
      continue;
    char *base = strndup(f->path, (size_t)(c - f->path));
    if (base && rename(f->path, base) == 0) {
      free(f->path);
      f->path = base;
    } else {
      free(base);
    }
  }
}
