/* SPDX-License-Identifier: Apache-2.0
 *
 * known.c - what a receiver already holds, remembered across processes.
 *
 * Every process announces each of its functions once (a row with calls 0,
 * so the receiver can tell never called from not instrumented), and to a
 * receiver that asks, sends its file and line once.  A short process with
 * 20,000 functions sent 40 requests at exit to say so, 0.2 s of wall time
 * against a plain run's 2 ms, and every run of a command line tool said
 * it again.  The receiver keeps what it was told: the collector stores
 * announced functions and their source for good (docs/collector.md).  So
 * what one process had acknowledged, the next one with the same endpoint
 * and key does not announce again: the rows of the functions it calls go
 * out as always, the zero rows of the others do not.
 *
 * The file: <spool dir>/<H16>.known (H as the spool's: SHA-256 of endpoint
 * and key, so what one project's receiver knows is never taken for
 * another's), 8 bytes of magic and 8 of the time it was begun (Unix
 * seconds), then 64-bit FNV-1a hashes, one per fact:
 * "announced with this department and weight", "its source is this file
 * and line", "an answer asked for these extensions".  A changed
 * department, weight or line is a new fact, sent again.  The extensions
 * remembered are those every remembered answer asked for: a process's
 * first send carries them, where it used to learn them from its first
 * answer and send them in a second request (two posts at every short
 * process's exit); an answer that asks for none makes that none.  No name is
 * written.  Appended with O_APPEND (whole records, so processes writing at once
 * interleave records, never bytes of one); read whole, regular files only, at
 * most KNOWN_MAX_BYTES.  A file begun more than a day ago is removed and the
 * facts are sent again: a receiver that lost them (a new database behind the
 * same key, another backend that keeps announcements for a day) hears them
 * again within a day.
 *
 * Only http(s) endpoints: a file:// sink's readers expect every process
 * to list its functions.  The state below belongs to the registry lock
 * (a fork child inherits it whole, as it inherits the table); the file's
 * reading and writing happen outside it, under the flush lock.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define KNOWN_MAGIC 0x31304e4b4d534e43ull /* "CNSMKN01" */
#define KNOWN_HEADER 2                    /* records: the magic, the time */
#define KNOWN_MAX_BYTES ((size_t)8 << 20)
#define KNOWN_MAX_AGE_S (24 * 3600)

/* The facts read from the file: an open-addressing set (0: empty). */
static uint64_t *facts;
static size_t facts_cap; /* a power of two, or 0: nothing loaded */
static size_t facts_count;
/* Facts acknowledged since the last save, to append. */
static uint64_t *fresh;
static size_t fresh_count, fresh_cap;
/* Table entries below this index were compared with the set. */
static size_t recalled_upto;
/* The file of the loaded set (empty: none). */
static char known_path[4200];

/* h moved on by s's bytes, then by a NUL that ends the field. */
static uint64_t field(uint64_t h, const char *s) {
  return cnsm_fnv1a(h, s ? s : "") * CNSM_FNV1A_PRIME; /* h ^ 0: the NUL */
}

static uint64_t number_field(uint64_t h, uint32_t v) {
  char digits[16];
  snprintf(digits, sizeof digits, "%u", v);
  return field(h, digits);
}

/* Never 0 (the set's empty mark) nor the magic. */
static uint64_t fact(uint64_t h) { return h == 0 || h == KNOWN_MAGIC ? 1 : h; }

static uint64_t announced_fact(const char *name, const char *department,
                               uint32_t weight) {
  uint64_t h = field(CNSM_FNV1A_BASIS, "announced");
  h = field(h, name);
  h = field(h, department);
  return fact(number_field(h, weight));
}

static uint64_t source_fact(const char *name, const char *file, uint32_t line) {
  uint64_t h = field(CNSM_FNV1A_BASIS, "source");
  h = field(h, name);
  h = field(h, file);
  return fact(number_field(h, line));
}

/* "The receiver's answer asked for these extensions" (CNSM_EXT_* bits). */
static uint64_t extensions_fact(unsigned mask) {
  return fact(number_field(field(CNSM_FNV1A_BASIS, "extensions"), mask));
}

static int set_has(const uint64_t *set, size_t cap, uint64_t f) {
  if (!cap)
    return 0;
  for (size_t i = (size_t)(f * 0x9e3779b97f4a7c15ull) & (cap - 1); set[i];
       i = (i + 1) & (cap - 1))
    if (set[i] == f)
      return 1;
  return 0;
}

static void set_put(uint64_t *set, size_t cap, size_t *count, uint64_t f) {
  size_t i = (size_t)(f * 0x9e3779b97f4a7c15ull) & (cap - 1);
  for (; set[i]; i = (i + 1) & (cap - 1))
    if (set[i] == f)
      return;
  set[i] = f;
  ++*count;
}

/* Doubles the set; 0 or -1 (out of memory: it stays as it was). */
static int set_grow(void) {
  size_t cap = 2 * facts_cap, count = 0;
  uint64_t *set = calloc(cap, sizeof *set);
  if (!set)
    return -1;
  for (size_t i = 0; i < facts_cap; i++)
    if (facts[i])
      set_put(set, cap, &count, facts[i]);
  free(facts);
  facts = set;
  facts_cap = cap;
  return 0;
}

/* The records of the file at path, if it is one of ours and young enough
 * (malloc'd, *n of them); NULL otherwise, the file removed when it is
 * stale or not ours. */
static uint64_t *read_facts(const char *path, size_t *n) {
  *n = 0;
  int fd = cnsm_open_aside(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, 0);
  if (fd < 0)
    return NULL;
  struct stat st = {0};
  uint64_t *buf = NULL;
  int stale = fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
              (size_t)st.st_size > KNOWN_MAX_BYTES ||
              st.st_size < (off_t)(KNOWN_HEADER * sizeof(uint64_t));
  if (!stale && (buf = malloc((size_t)st.st_size))) {
    ssize_t got = read(fd, buf, (size_t)st.st_size);
    uint64_t now = (uint64_t)time(NULL);
    stale = got < (ssize_t)(KNOWN_HEADER * sizeof(uint64_t)) ||
            buf[0] != KNOWN_MAGIC || buf[1] > now ||
            now - buf[1] > KNOWN_MAX_AGE_S;
    if (!stale)
      *n = (size_t)got / sizeof(uint64_t); /* a torn last record: left out */
  }
  close(fd);
  if (stale) {
    free(buf);
    *n = 0;
    if (S_ISREG(st.st_mode))
      unlink(path);
    return NULL;
  }
  return buf;
}

void cnsm_known_load(const char *spool_dir, const char *endpoint,
                     const char *key) {
  if (cnsm_sealed() || !spool_dir || cnsm_file_path(endpoint))
    return;
  char hash[65], path[sizeof known_path];
  cnsm_sink_hash(endpoint, key, hash);
  if (snprintf(path, sizeof path, "%s/%.16s.known", spool_dir, hash) >=
      (int)sizeof path)
    return;
  pthread_mutex_lock(&cnsm_registry_lock);
  int same = strcmp(path, known_path) == 0;
  pthread_mutex_unlock(&cnsm_registry_lock);
  if (same) /* once per process and sink: what it learns it adds itself */
    return;
  size_t n;
  uint64_t *records = read_facts(path, &n);
  size_t cap = 1024;
  while (cap < 2 * n)
    cap *= 2;
  uint64_t *set = calloc(cap, sizeof *set);
  size_t count = 0;
  for (size_t i = KNOWN_HEADER; set && i < n; i++)
    set_put(set, cap, &count, fact(records[i]));
  free(records);
  if (!set)
    return;
  pthread_mutex_lock(&cnsm_registry_lock);
  free(facts);
  facts = set;
  facts_cap = cap;
  facts_count = count;
  fresh_count = 0; /* facts of another sink */
  recalled_upto = 0;
  snprintf(known_path, sizeof known_path, "%s", path);
  pthread_mutex_unlock(&cnsm_registry_lock);
}

void cnsm_known_recall(const struct cnsm_overrides *o) {
  if (!facts_cap)
    return;
  for (; recalled_upto < cnsm_fn_count; recalled_upto++) {
    struct cnsm_fn *e = &cnsm_fns[recalled_upto];
    if (cnsm_fn_announced(recalled_upto) &&
        (cnsm_fn_source_sent(recalled_upto) || !e->file))
      continue; /* and never the entries a fork child inherited */
    cnsm_fn_refresh(e, o);
    if (!e->announced &&
        set_has(facts, facts_cap,
                announced_fact(e->name, e->department, e->weight)))
      e->announced = 1;
    if (!e->source_sent && e->file &&
        set_has(facts, facts_cap, source_fact(e->name, e->file, e->line)))
      e->source_sent = 1;
  }
}

/* Adds f to the facts to save, unless the file has it. */
static void note(uint64_t f) {
  if (!facts_cap || set_has(facts, facts_cap, f))
    return;
  if (fresh_count == fresh_cap) {
    size_t cap = fresh_cap ? 2 * fresh_cap : 1024;
    uint64_t *grown = realloc(fresh, cap * sizeof *grown);
    if (!grown)
      return; /* sent again by a later process: never a fact lost */
    fresh = grown;
    fresh_cap = cap;
  }
  fresh[fresh_count++] = f;
}

void cnsm_known_note(const struct cnsm_fn *e, const struct cnsm_delta *d) {
  if (!facts_cap)
    return; /* no memory for this sink (file://): no hash to make */
  if (!d->announced)
    note(announced_fact(d->name, d->department, d->weight));
  if (d->file && !e->source_sent)
    note(source_fact(d->name, d->file, d->line));
}

unsigned cnsm_known_extensions(void) {
  pthread_mutex_lock(&cnsm_registry_lock);
  unsigned every = CNSM_EXT_ALL;
  int any = 0;
  for (unsigned mask = 0; mask <= CNSM_EXT_ALL; mask++)
    if (set_has(facts, facts_cap, extensions_fact(mask))) {
      every &= mask; /* what every remembered answer asked for */
      any = 1;
    }
  pthread_mutex_unlock(&cnsm_registry_lock);
  return any ? every : 0;
}

void cnsm_known_note_extensions(unsigned mask) {
  pthread_mutex_lock(&cnsm_registry_lock);
  note(extensions_fact(mask));
  pthread_mutex_unlock(&cnsm_registry_lock);
}

void cnsm_known_save(void) {
  if (cnsm_sealed())
    return;
  char path[sizeof known_path];
  pthread_mutex_lock(&cnsm_registry_lock);
  size_t n = fresh_count;
  uint64_t *records = NULL;
  while (n && facts_count + n > facts_cap / 2 && set_grow() == 0)
    ;
  if (n && facts_count + n <= facts_cap / 2 &&
      (records = malloc((n + KNOWN_HEADER) * sizeof *records))) {
    memcpy(records + KNOWN_HEADER, fresh, n * sizeof *records);
    for (size_t i = 0; i < n; i++) /* the next save's file has them */
      set_put(facts, facts_cap, &facts_count, fresh[i]);
    fresh_count = 0;
  }
  snprintf(path, sizeof path, "%s", known_path);
  pthread_mutex_unlock(&cnsm_registry_lock);
  if (!records)
    return; /* told again by the next process: never a fact taken as known */
  /* O_NONBLOCK: a FIFO put in its place must not hold the exit. */
  int fd = cnsm_open_aside(
      path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_NONBLOCK, 0600);
  struct stat st;
  int regular = fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  size_t grown =
      regular ? (size_t)st.st_size + (n + KNOWN_HEADER) * sizeof *records : 0;
  /* Within RLIMIT_FSIZE too: beyond it the write would raise SIGXFSZ. */
  if (regular && grown <= KNOWN_MAX_BYTES && cnsm_file_size_allowed(grown)) {
    /* A new file starts with its header; one begun at once by two
     * processes has a second header among its records, which matches no
     * fact (a time is not a hash of one). */
    records[0] = KNOWN_MAGIC;
    records[1] = (uint64_t)time(NULL);
    size_t skip = st.st_size ? KNOWN_HEADER : 0;
    size_t len = (n + KNOWN_HEADER - skip) * sizeof *records;
    if (write(fd, records + skip, len) != (ssize_t)len)
      cnsm_debug("could not remember what %s knows (%s)", path,
                 strerror(errno));
  }
  if (fd >= 0)
    close(fd);
  free(records);
}
