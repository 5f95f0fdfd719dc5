/* SPDX-License-Identifier: Apache-2.0
 *
 * spool_read.c - a spool file's text into the function table: a deltas
 * file's counts (pending figures, snapshot.c), its functions' source
 * locations, and its extensions (a function's timed calls' buckets, its
 * root causes and its callers); a frozen batch's file into batch.c's
 * queue.
 *
 * Until round twenty-eight a deltas file held counts only, so whatever a
 * process could not deliver lost its histograms, callers and causes on
 * the way to the next process.  The ingest body's encoder (encode.c)
 * writes them under the wire's names (docs/ingest-contract.md: "hist",
 * "file", "line", "root_causes", "callers"), whatever the receiver asked
 * for; they are read back here into the function's lists of what waits
 * for a receiver (cnsm_fn.hist, .causes, .callers), which the flusher
 * sends when the receiver asks for them.  A deltas file is read in place
 * (json_scan.c says why), checked whole before anything is loaded.
 * Nothing read is trusted: a bucket beyond the wire's, a count that is not
 * a positive number or a name that is not a string is skipped.
 */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codensm_hist.h"
#include "internal.h"

/* What a deltas file's item holds beyond its counts and source location:
 * cursors at its hist, root_causes and callers (p NULL: absent). */
struct cnsm_spool_ext {
  struct cnsm_json hist, root_causes, callers;
};

/* Room for a name, a department or a file as a deltas file spells them:
 * the table keeps at most CNSM_NAME_MAX bytes of one (sanitize.c cuts
 * it), and what is cut here is beyond that. */
#define ITEM_TEXT (4 * CNSM_NAME_MAX)

/* The count of a number member (0 when it is not one). */
static uint64_t count(struct cnsm_json *j) {
  struct cnsm_json_number n;
  return cnsm_json_number(j, &n) == 0 ? n.count : 0;
}

/* Steps through the array at a (p NULL: none), to the start of each of
 * its elements: 1 at one, 0 at the end.  The caller reads or skips it. */
static int next_element(struct cnsm_json *a, int *first) {
  if (!a->p)
    return 0;
  if (*first && cnsm_json_open(a, '[') != 0)
    return 0;
  return cnsm_json_member(a, ']', first, NULL, 0) == 1;
}

/* Pairs read from a file, added to a list PAIRS_AT_ONCE at a time: a
 * file's need not ascend, and added one by one each moved the list's
 * pairs above it (a sixth of a forking server's parent's CPU). */
#define PAIRS_AT_ONCE 64

struct pairs {
  struct cnsm_hist_pair p[PAIRS_AT_ONCE];
  size_t n;
};

static int by_bucket(const void *a, const void *b) {
  uint32_t x = ((const struct cnsm_hist_pair *)a)->bucket;
  uint32_t y = ((const struct cnsm_hist_pair *)b)->bucket;
  return (x > y) - (x < y);
}

/* Adds the pairs gathered to l: sorted, and those of one bucket summed
 * (the list's merge takes ascending buckets, each once). */
static void add_pairs(struct cnsm_hist_list *l, struct pairs *g) {
  if (!g->n)
    return;
  qsort(g->p, g->n, sizeof *g->p, by_bucket);
  size_t out = 0;
  for (size_t k = 0; k < g->n; k++) {
    if (out && g->p[out - 1].bucket == g->p[k].bucket) {
      uint64_t a = g->p[out - 1].count, b = g->p[k].count;
      g->p[out - 1].count = a > UINT64_MAX - b ? UINT64_MAX : a + b;
    } else {
      g->p[out++] = g->p[k];
    }
  }
  cnsm_hist_list_add(l, g->p, out);
  g->n = 0;
}

static void gather(struct cnsm_hist_list *l, struct pairs *g, uint32_t bucket,
                   uint64_t count) {
  g->p[g->n++] = (struct cnsm_hist_pair){bucket, count};
  if (g->n == PAIRS_AT_ONCE)
    add_pairs(l, g);
}

/* The histogram's pairs into l: each [bucket, count], more elements
 * ignored. */
static void load_pairs(struct cnsm_hist_list *l, struct cnsm_json a) {
  struct pairs g = {.n = 0};
  int first = 1;
  while (next_element(&a, &first)) {
    if (cnsm_json_peek(&a) != '[') {
      (void)cnsm_json_skip(&a);
      continue;
    }
    struct cnsm_json_number n[2] = {{-1, 0}, {0, 0}};
    int inner = 1, k = 0;
    (void)cnsm_json_open(&a, '[');
    while (cnsm_json_member(&a, ']', &inner, NULL, 0) == 1) {
      if (k < 2 && cnsm_json_number(&a, &n[k]) != 0)
        n[k] = (struct cnsm_json_number){-1, 0};
      else if (k >= 2)
        (void)cnsm_json_skip(&a);
      k++;
    }
    if (n[0].value >= 0 && n[0].value < CNSM_HIST_BUCKETS && n[1].count)
      gather(l, &g, (uint32_t)n[0].value, n[1].count);
  }
  add_pairs(l, &g);
}

/* Which of an entry's lists named counts go to. */
enum named_list { ROOT_CAUSES, CALLERS };

static struct cnsm_hist_list *list_of(size_t i, enum named_list which) {
  return which == ROOT_CAUSES ? &cnsm_fns[i].causes : &cnsm_fns[i].callers;
}

/* Named counts into entry i's list, keyed by their names' table entries
 * (the table's, or a new one: its department and weight come with its own
 * item, interned first): each {"name": ..., member: ...}, the first of a
 * member given twice. */
static void load_named(size_t i, enum named_list which, struct cnsm_json a,
                       const char *member) {
  char name[ITEM_TEXT], key[16];
  struct pairs g = {.n = 0};
  int first = 1;
  while (next_element(&a, &first)) {
    if (cnsm_json_peek(&a) != '{') {
      (void)cnsm_json_skip(&a);
      continue;
    }
    int inner = 1, has_name = 0, name_seen = 0, count_seen = 0;
    uint64_t n = 0;
    (void)cnsm_json_open(&a, '{');
    while (cnsm_json_member(&a, '}', &inner, key, sizeof key) == 1) {
      if (strcmp(key, "name") == 0 && !name_seen++)
        has_name = cnsm_json_string(&a, name, sizeof name) == 0;
      else if (strcmp(key, member) == 0 && !count_seen++)
        n = count(&a);
      else
        (void)cnsm_json_skip(&a);
    }
    size_t named = has_name && n ? cnsm_fn_intern(name, "", 0) : SIZE_MAX;
    if (named != SIZE_MAX && named <= UINT32_MAX)
      gather(list_of(i, which), &g, (uint32_t)named, n);
  }
  add_pairs(list_of(i, which), &g);
}

static void load_extensions(size_t i, const struct cnsm_spool_ext *x) {
  load_pairs(&cnsm_fns[i].hist, x->hist);
  load_named(i, ROOT_CAUSES, x->root_causes, "errors");
  load_named(i, CALLERS, x->callers, "calls");
}

/* One item of a deltas file's functions, as read; where a member appears
 * twice, its first (as cJSON_GetObjectItem read them). */
struct item {
  char name[ITEM_TEXT], department[ITEM_TEXT], file[ITEM_TEXT];
  int has_name, has_file;
  uint64_t weight, calls, errors, total_ns, line;
  struct cnsm_spool_ext ext;
};

/* Reads the object at j into it (the text checked already); -1 when it
 * is not an object. */
static int read_item(struct cnsm_json *j, struct item *it) {
  it->name[0] = it->department[0] = it->file[0] = '\0';
  it->has_name = it->has_file = 0;
  it->weight = it->calls = it->errors = it->total_ns = it->line = 0;
  it->ext = (struct cnsm_spool_ext){{NULL, NULL}, {NULL, NULL}, {NULL, NULL}};
  if (cnsm_json_open(j, '{') != 0) {
    (void)cnsm_json_skip(j);
    return -1;
  }
  const struct {
    const char *key;
    char *text;           /* a string, of ITEM_TEXT bytes, and whether... */
    int *is_string;       /* ...it was one (NULL: not asked) */
    uint64_t *count;      /* or a count */
    struct cnsm_json *at; /* or an extension, read once the entry is known */
  } members[] = {{"name", it->name, &it->has_name, NULL, NULL},
                 {"department", it->department, NULL, NULL, NULL},
                 {"file", it->file, &it->has_file, NULL, NULL},
                 {"value_weight", NULL, NULL, &it->weight, NULL},
                 {"calls", NULL, NULL, &it->calls, NULL},
                 {"errors", NULL, NULL, &it->errors, NULL},
                 {"total_ns", NULL, NULL, &it->total_ns, NULL},
                 {"line", NULL, NULL, &it->line, NULL},
                 {"hist", NULL, NULL, NULL, &it->ext.hist},
                 {"root_causes", NULL, NULL, NULL, &it->ext.root_causes},
                 {"callers", NULL, NULL, NULL, &it->ext.callers}};
  enum { MEMBERS = sizeof members / sizeof *members };
  int first = 1, seen[MEMBERS] = {0};
  char key[16];
  while (cnsm_json_member(j, '}', &first, key, sizeof key) == 1) {
    size_t m = 0;
    while (m < MEMBERS && strcmp(key, members[m].key) != 0)
      m++;
    if (m == MEMBERS || seen[m]++) {
      (void)cnsm_json_skip(j);
    } else if (members[m].text) {
      int is_string = cnsm_json_string(j, members[m].text, ITEM_TEXT) == 0;
      if (!is_string) /* a department that is not a string: none */
        members[m].text[0] = '\0';
      if (members[m].is_string)
        *members[m].is_string = is_string;
    } else if (members[m].count) {
      *members[m].count = count(j);
    } else {
      *members[m].at = *j;
      (void)cnsm_json_skip(j);
    }
  }
  return 0;
}

/* The table entry of an item, or SIZE_MAX. */
static size_t item_entry(const struct item *it) {
  if (!it->has_name)
    return SIZE_MAX;
  return cnsm_fn_intern(
      it->name, it->department,
      (uint32_t)(it->weight < UINT32_MAX ? it->weight : UINT32_MAX));
}

/* An item's entry and extensions, read in the first pass and loaded in
 * the second. */
struct loaded {
  size_t entry;
  struct cnsm_spool_ext ext;
};

/* Adds a deltas file's functions (the array at fns) to their entries'
 * pending figures (snapshot.c); how many.  Every item is interned before
 * any extension is loaded, with its own department and weight: a caller
 * or a root cause named by an item before its own would otherwise make
 * its entry with none. */
static long load_functions(struct cnsm_json fns) {
  struct item *it = malloc(sizeof *it);
  struct loaded *loaded = NULL;
  size_t n = 0, cap = 0;
  long rc = it ? 0 : -1;
  struct cnsm_json j = fns;
  int first = 1;
  (void)cnsm_json_open(&j, '[');
  pthread_mutex_lock(&cnsm_registry_lock);
  while (rc == 0 && cnsm_json_member(&j, ']', &first, NULL, 0) == 1) {
    if (read_item(&j, it) != 0)
      continue;
    size_t i = item_entry(it);
    if (i == SIZE_MAX)
      continue;
    if (n == cap) {
      size_t grown_cap = cap ? 2 * cap : 256;
      struct loaded *grown = realloc(loaded, grown_cap * sizeof *grown);
      if (!grown) {
        rc = -1; /* what was added stays: the file is read again later */
        break;
      }
      loaded = grown;
      cap = grown_cap;
    }
    cnsm_pend_add(i, it->calls, it->errors, it->total_ns);
    /* A location the table does not know yet (no module of this process
     * names the function): what the file says. */
    if (it->has_file && it->line <= UINT32_MAX)
      cnsm_fn_set_source(i, it->file, (uint32_t)it->line);
    loaded[n++] = (struct loaded){i, it->ext};
  }
  for (size_t k = 0; k < n; k++)
    load_extensions(loaded[k].entry, &loaded[k].ext);
  pthread_mutex_unlock(&cnsm_registry_lock);
  free(loaded);
  free(it);
  return rc < 0 ? rc : (long)n;
}

/* A frozen batch's file: into batch.c's queue (which then owns path). */
static int adopt_batch(const char *text, size_t len, char *path) {
  cJSON *root = cJSON_ParseWithLength(text, len);
  const cJSON *key = cJSON_GetObjectItemCaseSensitive(root, "idempotency_key");
  const cJSON *body = cJSON_GetObjectItemCaseSensitive(root, "body");
  const char *version =
      cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(root, "version"));
  const char *instance =
      cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(root, "instance"));
  int rc = -1;
  if (cJSON_IsString(key) && cJSON_IsString(body))
    rc = cnsm_frozen_adopt(key->valuestring, body->valuestring, path, version,
                           instance);
  cJSON_Delete(root);
  return rc;
}

/* Loads one spool file's text: deltas into the table, a frozen batch into
 * batch.c's queue (which then owns path).  Returns 0, 1 when it is not
 * this sink's, or -1 when it is not a spool file at all.  A deltas file is
 * read in place (json_scan.c says why), checked whole before anything is
 * loaded: nothing of a file cut short is. */
int cnsm_spool_parse(const char *text, size_t len, const char *hash,
                     char *path) {
  struct cnsm_json j = {text, text + len}, fns = {NULL, NULL};
  char sink[80], key[16];
  int first = 1, more, has_sink = 0, sink_seen = 0, fns_seen = 0;
  if (cnsm_json_open(&j, '{') != 0)
    return -1;
  /* Every member checked on the way (the functions' array too): the
   * passes over the functions that follow read well-formed text. */
  while ((more = cnsm_json_member(&j, '}', &first, key, sizeof key)) == 1) {
    int is_sink = strcmp(key, "sink") == 0 && !sink_seen++;
    if (is_sink && cnsm_json_peek(&j) == '"') {
      if (cnsm_json_string(&j, sink, sizeof sink) != 0)
        return -1;
      has_sink = 1;
      continue;
    }
    if (strcmp(key, "functions") == 0 && !fns_seen++ &&
        cnsm_json_peek(&j) == '[')
      fns = j;
    if (cnsm_json_skip(&j) != 0)
      return -1;
  }
  if (more != 0 || !has_sink)
    return -1;
  if (strcmp(sink, hash) != 0)
    return 1;
  if (fns.p)
    return load_functions(fns) >= 0 ? 0 : -1;
  return adopt_batch(text, len, path);
}
