/*
 * internal.h - what the files of libcodensm share, and nothing else.
 *
 * The runtime is split by responsibility, like compiler-rt's profile
 * library:
 *
 *   registry.c   modules, TLS blocks, threads: attach, thread-exit fold,
 *                unregister (dlclose) fold, fork
 *   clock.c      ticks (__codensm_clock), ticks->ns calibration, probe cost
 *   table.c      the function table: one entry per function NAME, with its
 *                totals, acknowledged values and spooled values
 *   snapshot.c   sums live blocks + retired + departed into the table and
 *                computes deltas against what the sink acknowledged
 *   encode.c     the ingest JSON body (cJSON), and its number formatting
 *   flusher.c    background thread, codensm_flush, codensm_shutdown, exit
 *   sink_http.c  libcurl POST;  sink_file.c  JSONL append
 *   spool.c      deltas that could not be sent at exit, for the next process
 *   report.c     CODENSM_REPORT=1 table on stderr at exit
 *   config.c     environment, codensm_init, prefix maps
 *
 * Locks: cnsm_registry_lock (one mutex, static initialiser) guards the
 * module list, the removal of blocks from lists, the function table and the
 * configuration.  It is held only for short, allocation-light work, never
 * across I/O.  cnsm_flush_lock serialises senders (flusher thread,
 * codensm_flush, exit) and is held across a send; fork's handlers never
 * take it.
 *
 * Every symbol here is hidden (CNSM_HIDDEN) and prefixed cnsm_.
 */
#ifndef CNSM_INTERNAL_H
#define CNSM_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "codensm_abi.h"

#define CNSM_HIDDEN __attribute__((visibility("hidden")))
#define CNSM_EXPORT __attribute__((visibility("default")))

/* Relaxed 8-byte loads and stores of counters and links shared between
 * threads: ThreadSanitizer-clean and free on x86-64 and AArch64. */
#define CNSM_LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define CNSM_STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)

/* Functions per HTTP request, and per line of the file sink. */
#define CNSM_BATCH_MAX 1000u

/* Hosted ingest used when only CODENSM_API_KEY is set. */
#define CNSM_DEFAULT_ENDPOINT "https://thinknorth.consulting/codensm/ingest"

/* ---- config.c ---------------------------------------------------------- */

/* One "prefix=value" rule of CODENSM_DEPARTMENTS or CODENSM_WEIGHTS. */
struct cnsm_prefix_rule {
  char *prefix;
  char *value;    /* department, or the weight's text */
  uint32_t weight; /* parsed weight (weights map only) */
};

struct cnsm_prefix_map {
  struct cnsm_prefix_rule *rules;
  size_t count;
};

/* Effective settings.  Strings are owned and never freed while the process
 * runs (codensm_init may replace them; the old ones are kept, leaked on
 * purpose, because a sender may still be reading them). */
struct cnsm_config {
  char *endpoint; /* NULL: none (count only) */
  int endpoint_is_default; /* endpoint is the hosted default */
  int endpoint_refused;    /* an endpoint was given but malformed, or a
                              variable looks like a misspelled one */
  char *api_key;
  double flush_interval_s;
  double exit_timeout_s;
  char *spool_dir;
  struct cnsm_prefix_map departments;
  struct cnsm_prefix_map weights;
  int disable;
  int report;
  int debug;
  uint64_t sample_period;
  unsigned generation; /* bumped by each change, see table.c */
};

extern struct cnsm_config cnsm_cfg CNSM_HIDDEN;
/* 1 when an endpoint is set and sending is not disabled; read without a
 * lock (atomically) by the attach path. */
extern int cnsm_sink_wanted CNSM_HIDDEN;

/* Reads CODENSM_* once (thread-safe, idempotent). */
void cnsm_config_ensure(void) CNSM_HIDDEN;
/* Parses the environment into *cfg, warning on stderr about bad values.
 * Returns the number of bad values.  Exposed for the tests. */
int cnsm_config_from_env(struct cnsm_config *cfg) CNSM_HIDDEN;
/* True when endpoint is http(s)://host[...] or file:///absolute. */
int cnsm_endpoint_valid(const char *endpoint) CNSM_HIDDEN;
/* Warns once per unknown CODENSM_* variable (env_names.c), naming the
 * closest known one; sets *endpoint_misspelled when that is
 * CODENSM_ENDPOINT.  Returns the number of unknown variables. */
int cnsm_env_check_names(int *endpoint_misspelled) CNSM_HIDDEN;
/* Parses a "prefix=value,..." map; weights when is_weight.  Returns 0, or
 * -1 after a warning naming var (the map is then empty). */
int cnsm_prefix_map_parse(struct cnsm_prefix_map *map, const char *text,
                          const char *var, int is_weight) CNSM_HIDDEN;
/* The rule with the longest prefix of name, or NULL. */
const struct cnsm_prefix_rule *
cnsm_prefix_map_find(const struct cnsm_prefix_map *map,
                     const char *name) CNSM_HIDDEN;
/* Prints "codensm: ..." on stderr when CODENSM_DEBUG is on. */
void cnsm_debug(const char *fmt, ...) CNSM_HIDDEN
    __attribute__((format(printf, 1, 2)));
/* Prints "codensm: ..." on stderr, always. */
void cnsm_warn(const char *fmt, ...) CNSM_HIDDEN
    __attribute__((format(printf, 1, 2)));

/* ---- clock.c ----------------------------------------------------------- */

/* CLOCK_MONOTONIC in ns. */
uint64_t cnsm_now_ns(void) CNSM_HIDDEN;

/* The tick counter the pass reads on this architecture: rdtsc on x86-64
 * (inline in instrumented code), cntvct_el0 on AArch64, CLOCK_MONOTONIC ns
 * elsewhere. */
static inline uint64_t cnsm_read_ticks(void) {
#if defined(__x86_64__) || defined(__i386__)
  return __builtin_ia32_rdtsc();
#elif defined(__aarch64__)
  uint64_t v;
  __asm__ __volatile__("mrs %0, cntvct_el0" : "=r"(v));
  return v;
#else
  return cnsm_now_ns();
#endif
}
/* Remembers (ticks, ns) the first time it is called: no sleeping. */
void cnsm_clock_start(void) CNSM_HIDDEN;
/* ns per tick, measured over the interval since cnsm_clock_start (spins at
 * most ~1 ms when that interval is shorter). */
double cnsm_clock_ns_per_tick(void) CNSM_HIDDEN;
/* Ticks one probe (a pair of back-to-back clock reads) costs, minimum of
 * many tries. */
uint64_t cnsm_clock_probe_ticks(void) CNSM_HIDDEN;
/* The ratio estimator: ns spent in calls, from samples timed calls summing
 * ticks, probe ticks subtracted per sample (clamped at 0). */
uint64_t cnsm_estimate_ns(uint64_t calls, uint64_t samples, uint64_t ticks,
                          uint64_t probe_ticks, double ns_per_tick) CNSM_HIDDEN;

/* ---- table.c ----------------------------------------------------------- */

/* One function name, aggregated across modules and processes' spools. */
struct cnsm_fn {
  char *name;
  char *compiled_department; /* from the descriptor (or the spool) */
  uint32_t compiled_weight;
  const char *department; /* effective: after CODENSM_DEPARTMENTS */
  uint32_t weight;        /* effective: after CODENSM_WEIGHTS */
  unsigned cfg_generation;
  /* The body's constant part for this function, escaped once:
   * {"name":"..","department":"..","value_weight":N,"calls":  */
  char *json_head;
  size_t json_head_len;
  /* Totals of modules that are gone (dlclose, exit). */
  struct cnsm_slot base;
  /* Scratch: current totals, filled by cnsm_snapshot(). */
  struct cnsm_slot cur;
  uint64_t cur_ns;
  /* Acknowledged by the sink (or inherited at fork). */
  uint64_t ack_calls, ack_errors, ack_ns;
  /* Values since which the report counts (0, or the fork point). */
  uint64_t origin_calls, origin_errors, origin_ns;
  /* Deltas read from a spool file, not yet acknowledged. */
  uint64_t pend_calls, pend_errors, pend_ns;
  int pend_present;  /* the spool listed it (maybe with zeros) */
  int announced;     /* a send that included it succeeded */
};

/* The table; realloc'd as it grows, so keep indices, not pointers, across
 * an unlock. */
extern struct cnsm_fn *cnsm_fns CNSM_HIDDEN;
extern size_t cnsm_fn_count CNSM_HIDDEN;

/* Index of the entry for name, created (strings copied) when new; SIZE_MAX
 * when out of memory.  Registry lock held. */
size_t cnsm_fn_intern(const char *name, const char *department,
                      uint32_t weight) CNSM_HIDDEN;
/* Re-applies the prefix maps to e when the configuration changed. */
void cnsm_fn_refresh(struct cnsm_fn *e) CNSM_HIDDEN;

/* ---- registry.c -------------------------------------------------------- */

/* A registered module (runtime-owned; *desc->runtime_state points at it). */
struct cnsm_module {
  const struct cnsm_module_desc *desc;
  struct cnsm_tls_block *blocks; /* pushed lock-free, removed under lock */
  struct cnsm_slot *retired;     /* function_count folded slots */
  size_t *entry;                 /* table index per function, or NULL */
  struct cnsm_module *next;
  struct cnsm_module *next_unloaded; /* see cnsm_unloaded_modules */
};

extern pthread_mutex_t cnsm_registry_lock CNSM_HIDDEN;
extern struct cnsm_module *cnsm_modules CNSM_HIDDEN;

/* Builds m->entry (table indices).  Registry lock held.  0 or -1. */
int cnsm_module_map(struct cnsm_module *m) CNSM_HIDDEN;
/* Slot i of block b: the ABI's flexible array. */
static inline struct cnsm_slot *cnsm_block_slot(struct cnsm_tls_block *b,
                                                uint32_t i) {
  return &b->slots[i];
}
/* acc += s, for a slot only the caller's thread writes (or a folded one). */
static inline void cnsm_slot_add(struct cnsm_slot *acc,
                                 const struct cnsm_slot *s) {
  acc->calls += s->calls;
  acc->errors += s->errors;
  acc->samples += s->samples;
  acc->ticks += s->ticks;
}
/* acc += s, for a live slot its own thread may be writing. */
static inline void cnsm_slot_add_live(struct cnsm_slot *acc,
                                      struct cnsm_slot *s) {
  acc->calls += CNSM_LOAD(&s->calls);
  acc->errors += CNSM_LOAD(&s->errors);
  acc->samples += CNSM_LOAD(&s->samples);
  acc->ticks += CNSM_LOAD(&s->ticks);
}
/* Installs the pthread_atfork handlers (once). */
void cnsm_registry_init_once(void) CNSM_HIDDEN;

/* ---- snapshot.c -------------------------------------------------------- */

/* One function's delta, copied out of the table so it can be sent without
 * the lock. */
struct cnsm_delta {
  size_t index; /* table entry */
  const char *name;
  const char *department;
  uint32_t weight;
  const char *json_head; /* the entry's cached head, see struct cnsm_fn */
  size_t json_head_len;
  uint64_t calls, errors, ns;         /* own part: current - acknowledged */
  uint64_t pend_calls, pend_errors, pend_ns; /* spooled part */
  int announced; /* an earlier send already listed it */
};

struct cnsm_delta_list {
  struct cnsm_delta *items;
  size_t count, cap; /* items is reused while cap suffices */
};

/* Entries whose pend_present is set (spooled, unacknowledged). */
extern size_t cnsm_pend_entries CNSM_HIDDEN;

/* Fills the table's cur_* fields from every module.  Registry lock held. */
void cnsm_snapshot(void) CNSM_HIDDEN;
/* Snapshot and list what must be sent (deltas, announcements, spooled
 * values) into out, reusing its storage.  Takes the registry lock.  0 or
 * -1 (out of memory). */
int cnsm_collect(struct cnsm_delta_list *out) CNSM_HIDDEN;
/* Moves the acknowledgement by exactly what d[0..n) carried.  Takes the
 * registry lock. */
void cnsm_acknowledge(const struct cnsm_delta *d, size_t n) CNSM_HIDDEN;
/* Sets acknowledged = origin = current for every function (fork child).
 * Registry lock held. */
void cnsm_acknowledge_all_current(void) CNSM_HIDDEN;

/* ---- encode.c ---------------------------------------------------------- */

/* The ingest body {"functions":[...]} for d[0..n): NUL-ended, no newline,
 * valid until the next call (flush lock held).  NULL when out of memory. */
const char *cnsm_encode(const struct cnsm_delta *d, size_t n) CNSM_HIDDEN;
/* A malloc'd {"name":..,"department":..,"value_weight":N,"calls": for one
 * function, its length in *len; NULL when out of memory. */
char *cnsm_encode_head(const char *name, const char *department,
                       uint32_t weight, size_t *len) CNSM_HIDDEN;
/* Writes ns as milliseconds "123.456789" into buf (>= 32 bytes). */
void cnsm_format_ms(char *buf, uint64_t ns) CNSM_HIDDEN;

/* ---- sinks ------------------------------------------------------------- */

/* Result of one send. */
enum { CNSM_SENT = 0, CNSM_FAILED = -1 };

/* POSTs body to an http(s) endpoint; success means a 2xx answer within
 * timeout_ms. */
int cnsm_http_send(const char *endpoint, const char *api_key,
                   const char *body, long timeout_ms) CNSM_HIDDEN;
/* Forgets the curl handle without touching its sockets (fork child). */
void cnsm_http_forget(void) CNSM_HIDDEN;
/* Appends body and a newline to the file of a file:// URL, one write. */
int cnsm_file_send(const char *endpoint, const char *body) CNSM_HIDDEN;
/* The path of a file:// URL, or NULL. */
const char *cnsm_file_path(const char *endpoint) CNSM_HIDDEN;

/* ---- spool.c ----------------------------------------------------------- */

/* Claims this endpoint's spool files and adds their deltas to the table's
 * pend_* fields.  Returns how many functions were loaded. */
/* Whether dir holds spool files of this endpoint; takes no lock. */
int cnsm_spool_has_files(const char *dir, const char *endpoint) CNSM_HIDDEN;
size_t cnsm_spool_load(const char *spool_dir, const char *endpoint) CNSM_HIDDEN;
/* Unlinks the claimed files once their deltas were acknowledged. */
void cnsm_spool_release(void) CNSM_HIDDEN;
/* Writes d[0..n) (own + spooled parts) as this endpoint's spool file,
 * atomically, then (when release) unlinks the claimed files.  0 or -1. */
int cnsm_spool_write(const char *spool_dir, const char *endpoint,
                     const struct cnsm_delta *d, size_t n,
                     int release) CNSM_HIDDEN;
/* The spool directory to use when none is configured (malloc'd). */
char *cnsm_spool_default_dir(void) CNSM_HIDDEN;
/* Forgets claimed files (fork child: they are the parent's). */
void cnsm_spool_forget(void) CNSM_HIDDEN;

/* ---- flusher.c --------------------------------------------------------- */

/* Starts the background flusher if the configuration wants one (lazy,
 * once per process; again in a fork child). */
void cnsm_flusher_maybe_start(void) CNSM_HIDDEN;
/* Fork child: the parent's thread does not exist here. */
void cnsm_flusher_after_fork_child(void) CNSM_HIDDEN;
/* Sends every delta, batch by batch, before deadline_ns (CLOCK_MONOTONIC).
 * Flush lock held by the caller.  0 when all acknowledged, else -1. */
int cnsm_send_all(uint64_t deadline_ns) CNSM_HIDDEN;

/* ---- report.c ---------------------------------------------------------- */

/* Prints the per-function table of totals on f.  Takes the registry lock
 * (with a deadline). */
void cnsm_report_print(FILE *f) CNSM_HIDDEN;

#endif /* CNSM_INTERNAL_H */
