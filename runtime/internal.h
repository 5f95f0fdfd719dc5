/* SPDX-License-Identifier: Apache-2.0
 *
 * internal.h - what the files of libcodensm share, and nothing else.
 *
 * The runtime is split by responsibility, like compiler-rt's profile
 * library, and its files stand in layers, top first: a file calls only
 * files of its own layer or of the layers below (scripts/runtime-layers
 * names the layers and checks it; docs/architecture.md draws them).
 *
 *   api       api.c        __codensm_register, codensm_init, codensm_flush,
 *                          codensm_shutdown, exit: what starts things
 *   flush     flusher.c    background thread, sending, the final flush
 *             report.c     CODENSM_REPORT=1 table on stderr at exit
 *   delivery  spool.c      deltas and frozen batches not delivered, for the
 *                          next process of the same endpoint and key
 *             spool_read.c a spool file's text into the table
 *             handoff.c    a fork child's figures sent by its parent
 *             batch.c      Idempotency-Keys, and frozen batches (sent, no
 *                          answer)
 *   deltas    snapshot.c   sums live blocks + retired + departed into the
 *                          table, deltas against what the sink acknowledged,
 *                          spooled figures still pending
 *   counts    hooks.c      the hot path's runtime side (and, on x86-64,
 *                          trampolines_x86_64.S)
 *             frames.c     the thread's open timed frames: nesting, longjmp
 *             registry.c   modules, threads' directories of chunks: first
 *                          use, thread-exit fold, unregister (dlclose) fold
 *             table.c      the function table: one entry per function NAME
 *             arena.c      lock-free memory for threads' counters
 *   settings  config.c     environment, codensm_init's values, prefix maps
 *             env_names.c  unknown CODENSM_* variables, named
 *   sinks     sink_http.c  libcurl POST;  sink_file.c  JSONL append
 *   base      log.c        warnings, and debug messages
 *             fds.c        the runtime's descriptors, numbered out of the
 *                          program's way; is this descriptor still ours;
 *                          may a file grow so far
 *             clock.c      ticks (__codensm_clock), calibration, probe cost
 *             encode.c     the ingest JSON body, each function's escaped
 *                          head kept for the next, number formatting
 *             sanitize.c   names, departments, weights made valid for the
 *                          contract
 *
 * Locks: cnsm_registry_lock (static initialiser) guards the module list,
 * the removal of directories from lists and the function table;
 * config.c's lock guards the settings.  Each is held only for short,
 * allocation-light work, never across I/O, and neither is taken inside
 * the other (the table reads a copy of the settings it applies, taken
 * before the registry's).  flusher.c's flush lock serialises
 * senders (flusher thread, codensm_flush, exit) and is held across a send,
 * taking the others inside it; fork's handlers never take it.  Each layer
 * that holds state a fork child must fix installs its own pthread_atfork
 * handlers (api.c says in which order).
 *
 * Every symbol here is hidden (CNSM_HIDDEN) and prefixed cnsm_.
 */
#ifndef CNSM_INTERNAL_H
#define CNSM_INTERNAL_H

#include <dirent.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

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

/* ---- log.c ------------------------------------------------------------- */

/* Prints "codensm: ..." on stderr when CODENSM_DEBUG is on. */
void cnsm_debug(const char *fmt, ...) CNSM_HIDDEN
    __attribute__((format(printf, 1, 2)));
/* Prints "codensm: ..." on stderr, always. */
void cnsm_warn(const char *fmt, ...) CNSM_HIDDEN
    __attribute__((format(printf, 1, 2)));
/* Turns cnsm_debug's messages on or off (config.c applies CODENSM_DEBUG). */
void cnsm_log_set_debug(int on) CNSM_HIDDEN;

/* ---- sealed.c ---------------------------------------------------------- */

/* Whether the program confined itself with a seccomp filter: the runtime
 * then makes no system call of its own (sandbox.c). */
int cnsm_sealed(void) CNSM_HIDDEN;
/* Marks the runtime sealed; whether it was already. */
int cnsm_seal(void) CNSM_HIDDEN;
/* The call that was to confine the program failed: not sealed. */
void cnsm_unseal(void) CNSM_HIDDEN;

/* ---- config.c ---------------------------------------------------------- */

/* One "prefix=value" rule of CODENSM_DEPARTMENTS or CODENSM_WEIGHTS. */
struct cnsm_prefix_rule {
  char *prefix;
  char *value;     /* department, or the weight's text */
  uint32_t weight; /* parsed weight (weights map only) */
};

struct cnsm_prefix_map {
  struct cnsm_prefix_rule *rules;
  size_t count;
};

/* Effective settings.  Strings are owned and never freed while the process
 * runs (codensm_init may replace them, and the prefix maps' rules; the old
 * ones are kept, leaked on purpose, because a sender or the function table
 * may still be reading them).  Changed under config.c's lock: read a copy
 * (cnsm_config_current, cnsm_config_overrides). */
struct cnsm_config {
  char *endpoint;          /* NULL: none (count only) */
  int endpoint_is_default; /* endpoint is the hosted default */
  int endpoint_refused;    /* an endpoint was given but malformed, or a
                              variable looks like a misspelled one */
  char *api_key;
  double flush_interval_s;
  double exit_timeout_s;
  char *spool_dir;
  char *version, *instance; /* labels, read once; NULL: not sent */
  struct cnsm_prefix_map departments;
  struct cnsm_prefix_map weights;
  int disable;
  int report;
  int live_file;
  int debug;
  uint64_t sample_period; /* powers of two, at most CNSM_PERIOD_MAX */
  uint64_t sample_period_hot;
  unsigned generation; /* bumped by each change, see table.c */
};

/* The longest sampling period (log2): the sampler's table of
 * -1/ln(1 - 1/period) (hooks.c) ends there, and the start's low bits
 * (SAMPLE_WEIGHT_MASK) keep 15 for a nested frame. */
#define CNSM_PERIOD_LOG2_MAX 14u
#define CNSM_PERIOD_MAX (1ull << CNSM_PERIOD_LOG2_MAX)

extern struct cnsm_config cnsm_cfg CNSM_HIDDEN;
/* The sampling policy (hooks.c): after each timed call a chunk's period
 * follows what the call took, never longer than cnsm_hot_mask + 1 (the
 * period of CODENSM_SAMPLE_PERIOD_HOT, set by config.c); timing one call
 * costs about CNSM_SAMPLE_COST_TICKS. */
#define CNSM_SAMPLE_COST_TICKS 300u
extern uint64_t cnsm_hot_mask CNSM_HIDDEN;
/* 1 when an endpoint is set and sending is not disabled; read without a
 * lock (atomically) by the attach path. */
extern int cnsm_sink_wanted CNSM_HIDDEN;

/* Reads CODENSM_* once (thread-safe, idempotent). */
void cnsm_config_ensure(void) CNSM_HIDDEN;
/* Installs the configuration lock's fork handlers (once). */
void cnsm_config_init_once(void) CNSM_HIDDEN;
struct codensm_config; /* codensm.h */
/* codensm_init's work: applies cfg's set fields over the settings, warning
 * about bad ones (-1 then, else 0). */
int cnsm_config_apply(const struct codensm_config *cfg) CNSM_HIDDEN;
/* A copy of the settings, with the default spool directory filled in. */
struct cnsm_config cnsm_config_current(void) CNSM_HIDDEN;
/* Whether this process tells anyone what it counts: a sink, or the exit
 * report (CODENSM_REPORT).  No lock: a fork handler and every module's
 * destructor ask. */
int cnsm_config_told(void) CNSM_HIDDEN;
/* What the function table applies to its entries: CODENSM_DEPARTMENTS and
 * CODENSM_WEIGHTS, and the generation they belong to, copied together. */
struct cnsm_overrides {
  struct cnsm_prefix_map departments, weights;
  unsigned generation;
};
struct cnsm_overrides cnsm_config_overrides(void) CNSM_HIDDEN;
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

/* ---- sanitize.c -------------------------------------------------------- */

/* The contract's limits (docs/ingest-contract.md). */
#define CNSM_NAME_MAX 512
#define CNSM_DEPARTMENT_MAX 128
#define CNSM_WEIGHT_MAX 1000000u

/* A malloc'd copy of s made valid UTF-8 (invalid bytes and controls become
 * U+FFFD) of 1..max bytes, cut on a character boundary; fallback when s is
 * empty or NULL.  *changed tells whether it differs.  NULL: out of memory. */
char *cnsm_sanitize_string(const char *s, size_t max, const char *fallback,
                           int *changed) CNSM_HIDDEN;
/* weight, at most CNSM_WEIGHT_MAX. */
uint32_t cnsm_sanitize_weight(uint64_t weight) CNSM_HIDDEN;

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
/* a - b, or 0 when b > a. */
static inline uint64_t cnsm_sub0(uint64_t a, uint64_t b) {
  return a > b ? a - b : 0;
}
/* Remembers (ticks, ns) the first time it is called: no sleeping. */
void cnsm_clock_start(void) CNSM_HIDDEN;
/* CLOCK_MONOTONIC ns since cnsm_clock_start (the first module's
 * registration, before anything was counted); 0 before it. */
uint64_t cnsm_clock_since_start_ns(void) CNSM_HIDDEN;
/* ns per tick, measured over the interval since cnsm_clock_start (spins at
 * most ~1 ms when that interval is shorter). */
double cnsm_clock_ns_per_tick(void) CNSM_HIDDEN;
/* Takes what a timed call's histogram needs (ns per tick over at least
 * 10 us since cnsm_clock_start, the probe), once, lock-free: called by
 * the process's first timed call before its clock starts, so no timed
 * interval holds it (another thread's first call goes on meanwhile).
 * Some 50 us.  Safe in a signal handler. */
void cnsm_clock_calibrate(void) CNSM_HIDDEN;
/* The ns a timed call of ticks took, the probe taken off; UINT64_MAX
 * before cnsm_clock_calibrate finished. */
uint64_t cnsm_clock_timed_call_ns(uint64_t ticks) CNSM_HIDDEN;
/* Ticks a timed call of nothing shows (two clock reads around a
 * mispredicted branch), measured once; what the estimator and the
 * histograms take off each timed call.  Safe in a signal handler. */
uint64_t cnsm_clock_probe_ticks(void) CNSM_HIDDEN;
/* The probe from n reads around the taken branch (sorted in place): their
 * 1/16 quantile once reads that ran at once (under a quarter of the
 * median) are left out. */
uint64_t cnsm_clock_probe_of(uint64_t *taken, int n) CNSM_HIDDEN;
/* Timed calls taken at period 1 (weight 1): each stood only for itself,
 * so its time is exact, not a sample's (clock.c, cnsm_estimate_ns). */
struct cnsm_certain {
  uint64_t calls, ticks;
};
/* The estimate of the ns spent in calls, from samples (the timed calls'
 * weights) summing ticks (each call's ticks times its weight): the certain
 * calls' own time (may be NULL: none known), plus the ratio estimator over
 * the rest, probe ticks subtracted per call (clamped at 0). */
uint64_t cnsm_estimate_ns(uint64_t calls, uint64_t samples, uint64_t ticks,
                          const struct cnsm_certain *certain,
                          uint64_t probe_ticks, double ns_per_tick) CNSM_HIDDEN;
/* The fewest ticks of the sampled calls (not the certain ones) to take off
 * ticks so that the estimate is at most most_ns (all of them when even
 * that is not enough). */
uint64_t cnsm_estimate_cut(uint64_t calls, uint64_t samples, uint64_t ticks,
                           const struct cnsm_certain *certain,
                           uint64_t probe_ticks, double ns_per_tick,
                           uint64_t most_ns) CNSM_HIDDEN;

/* Extensions a receiver asked for (docs/ingest-contract.md). */
#define CNSM_EXT_HISTOGRAM 1u /* "hist" */
#define CNSM_EXT_SOURCE 2u    /* "file", "line" */
#define CNSM_EXT_CAUSES 4u    /* "root_causes" */
#define CNSM_EXT_CALLERS 8u   /* "callers" */
#define CNSM_EXT_ALL                                                           \
  (CNSM_EXT_HISTOGRAM | CNSM_EXT_SOURCE | CNSM_EXT_CAUSES | CNSM_EXT_CALLERS)
/* ---- hist.c ------------------------------------------------------------ */

/* One bucket of the wire's latency histogram (include/codensm_hist.h) and
 * the calls its timed calls stand for; in a list of root causes, a
 * function's table index and its errors. */
struct cnsm_hist_pair {
  uint32_t bucket;
  uint64_t count;
};
/* Buckets in ascending order, no zero counts. */
struct cnsm_hist_list {
  struct cnsm_hist_pair *pairs;
  /* 32 bits: a list has at most a bucket per histogram row, or a pair
   * per table entry; three lists to a table entry, whose size a fork child
   * pays in pages copied. */
  uint32_t n, cap;
  uint32_t forks; /* cnsm_hist_lists_forked's count when pairs was made */
};
struct cnsm_module;
struct cnsm_hist;
/* The histogram of m's function slot, allocated on first use; NULL when
 * out of memory (or m NULL).  Lock-free, safe in a signal handler. */
struct cnsm_hist *cnsm_hist_of(struct cnsm_module *m,
                               uint32_t slot) CNSM_HIDDEN;
/* Adds a timed call that took ns (standing for weight calls) to h (may be
 * NULL). */
void cnsm_hist_record(struct cnsm_hist *h, uint64_t ns,
                      uint64_t weight) CNSM_HIDDEN;
/* Adds a timed call of weight 1 that took ticks to h's certain calls (h
 * may be NULL: the call then counts with the sampled ones).  Called after
 * the call's ticks are in its slot. */
void cnsm_hist_certain(struct cnsm_hist *h, uint64_t ticks) CNSM_HIDDEN;
/* Moves the certain calls m's functions timed since the last take into
 * their table entries (struct cnsm_fn, certain): before m's slots are
 * read, so every certain call taken is in what they hold.  Registry lock
 * held. */
void cnsm_hist_take_certain(struct cnsm_module *m) CNSM_HIDDEN;
/* The sampling policy's view of how often h's function is called
 * (process-wide; h may be NULL), fed the weight of each of its timed calls and
 * their clock: log2 of the longest period at which it would still be timed some
 * CNSM_RATE_TIMED_PER_WINDOW times a window (about 0.7 s), as its rate
 * over the last window says; 0 until one has passed. */
#define CNSM_RATE_TIMED_PER_WINDOW 16
unsigned cnsm_hist_rate_log2(struct cnsm_hist *h, uint64_t weight,
                             uint64_t now) CNSM_HIDDEN;
/* Moves what m's function slot timed since the last drain into out (room
 * for CNSM_HIST_BUCKETS pairs).  Returns the pairs written.  Registry lock
 * held. */
size_t cnsm_hist_drain(struct cnsm_module *m, uint32_t slot,
                       struct cnsm_hist_pair *out) CNSM_HIDDEN;
/* Drains every function of m into its table entry's pending buckets
 * (cnsm_fn.hist); m must be mapped (cnsm_module_map).  Registry lock
 * held. */
void cnsm_hist_drain_module(struct cnsm_module *m) CNSM_HIDDEN;
/* l += p[0..n) (ascending), saturating.  0, or -1 when out of memory (l is
 * unchanged). */
int cnsm_hist_list_add(struct cnsm_hist_list *l, const struct cnsm_hist_pair *p,
                       size_t n) CNSM_HIDDEN;
/* l -= p[0..n), dropping buckets that reach 0. */
void cnsm_hist_list_sub(struct cnsm_hist_list *l,
                        const struct cnsm_hist_pair *p, size_t n) CNSM_HIDDEN;
void cnsm_hist_list_free(struct cnsm_hist_list *l) CNSM_HIDDEN;
/* Room for n pairs in l: 0, or -1 when out of memory. */
int cnsm_hist_list_reserve(struct cnsm_hist_list *l, size_t n) CNSM_HIDDEN;
/* Fork child: every list's array is its parent's from now on.  The child
 * leaves them as they are and makes its own as it first writes a list.
 * Registry lock held, or the child's only thread. */
void cnsm_hist_lists_forked(void) CNSM_HIDDEN;

/* ---- table.c ----------------------------------------------------------- */

struct cnsm_live_acks; /* live_format.h */

/* FNV-1a (64 bits): h moved on by the bytes of the NUL-ended s (not its
 * NUL); begin with CNSM_FNV1A_BASIS.  The table's hash of names, and
 * known.c's of facts. */
#define CNSM_FNV1A_BASIS 14695981039346656037ull
#define CNSM_FNV1A_PRIME 1099511628211ull
uint64_t cnsm_fnv1a(uint64_t h, const char *s) CNSM_HIDDEN;

/* One function name, aggregated across modules and processes' spools. */
struct cnsm_fn {
  /* First, together, what a collect reads of every entry to pass over one
   * with nothing to send (snapshot.c): spread over five cache lines, that
   * pass over a PostgreSQL backend's 20,000 entries took most of its exit
   * flush. */
  /* Scratch: current totals, filled by cnsm_snapshot(). */
  struct cnsm_slot cur;
  /* Acknowledged by the sink (or inherited at fork). */
  uint64_t ack_calls, ack_errors, ack_ns;
  int pend_present; /* the spool listed it (maybe with zeros) */
  int announced;    /* a send that included it succeeded */
  int poisoned;     /* refused alone for good: its deltas are dropped */
  /* Where it is defined (first module that names it; NULL, 0: unknown),
   * and whether a receiver acknowledged it. */
  int source_sent;
  char *file;
  uint32_t line;
  /* Timed calls drained from the modules and not yet acknowledged. */
  struct cnsm_hist_list hist;
  /* Errors by root cause (keyed by the root's table index), drained and
   * not yet acknowledged. */
  struct cnsm_hist_list causes;
  /* Calls by instrumented caller (keyed by the caller's table index),
   * drained and not yet acknowledged. */
  struct cnsm_hist_list callers;
  char *name;
  char *compiled_department; /* from the descriptor (or the spool) */
  uint32_t compiled_weight;
  /* Effective, after CODENSM_DEPARTMENTS and CODENSM_WEIGHTS of settings'
   * generation cfg_generation; department is NULL until cnsm_fn_refresh
   * first applied them. */
  const char *department;
  uint32_t weight;
  unsigned cfg_generation;
  /* Totals of modules that are gone (dlclose, exit). */
  struct cnsm_slot base;
  /* The directories that counted its calls, in modules gone and in all
   * (scratch, as cur): each is one thread at a time, so its time is at
   * most this many times the time since the start (snapshot.c). */
  uint32_t base_threads, cur_threads;
  /* Ticks of its sampled calls taken off for good, so that its estimate
   * stays within that bound (snapshot.c). */
  uint64_t cut_ticks;
  /* Of cur's timed calls, those of weight 1, for as long as the process
   * lives (hist.c moves them here from every module, gone or not). */
  struct cnsm_certain certain;
  uint64_t cur_ns;
  /* Values since which the report counts (0, or the fork point). */
  uint64_t origin_calls, origin_errors, origin_ns;
  /* Deltas read from a spool file, not yet acknowledged. */
  uint64_t pend_calls, pend_errors, pend_ns;
  struct cnsm_live_acks *live; /* its record in the live file, or NULL */
  uint32_t hold;               /* successful calls held back, see snapshot.c */
};

/* Calls held back per function by background flushes (snapshot.c). */
#define CNSM_HOLD_MIN 2u
#define CNSM_HOLD_MAX 4096u

/* The table; realloc'd as it grows, so keep indices, not pointers, across
 * an unlock. */
extern struct cnsm_fn *cnsm_fns CNSM_HIDDEN;
extern size_t cnsm_fn_count CNSM_HIDDEN;

/* Index of the entry for name, created (strings copied) when new; SIZE_MAX
 * when out of memory.  Registry lock held. */
size_t cnsm_fn_intern(const char *name, const char *department,
                      uint32_t weight) CNSM_HIDDEN;
/* Fork child: the parent's entries are its parent's to announce, with
 * their source, as it would have had it not forked (a child forked before
 * its parent's first flush announced all 21,000 functions again at its
 * exit: 1 MB of a file sink a child).  Said once for all of them rather
 * than written into each: those writes copied every page of the table
 * from the parent (PostgreSQL's backends, in a server's first 15 s).
 * Registry lock held, or the child's only thread. */
void cnsm_fn_inherit_all(void) CNSM_HIDDEN;
/* Whether entry i was announced (cnsm_fn.announced), or its source sent
 * (source_sent), here or by the parent it was inherited from.  Registry
 * lock held. */
int cnsm_fn_announced(size_t i) CNSM_HIDDEN;
int cnsm_fn_source_sent(size_t i) CNSM_HIDDEN;
/* Gives entry i its source location, unless it has one (an ODR function
 * keeps the first module's); a file that is not valid for the contract is
 * sanitized as names are.  Registry lock held. */
void cnsm_fn_set_source(size_t i, const char *file, uint32_t line) CNSM_HIDDEN;
/* Functions listed without a probe (CNSM_FN_NOT_INSTRUMENTED), for the
 * report; a name may repeat.  Registry lock held. */
extern char **cnsm_not_instrumented CNSM_HIDDEN;
extern size_t cnsm_not_instrumented_count CNSM_HIDDEN;
void cnsm_note_not_instrumented(const char *name) CNSM_HIDDEN;
/* Gives every entry its record in the live file (just opened); new
 * entries get theirs as they are made.  Registry lock held. */
void cnsm_fn_make_all_live(void) CNSM_HIDDEN;
/* The entry named name, or NULL.  Registry lock held. */
const struct cnsm_fn *cnsm_fn_find(const char *name) CNSM_HIDDEN;
/* Applies o's prefix maps to e unless they are already applied: call it
 * before reading e->department or e->weight.  Registry lock held. */
void cnsm_fn_refresh(struct cnsm_fn *e,
                     const struct cnsm_overrides *o) CNSM_HIDDEN;

/* ---- arena.c ----------------------------------------------------------- */

/* One thread's counter memory: mmap'ed regions, bump-allocated without
 * locks (see arena.c).  Zero-initialised state is an empty arena. */
struct cnsm_region;
struct cnsm_arena {
  struct cnsm_region *current; /* the region allocations come from */
  struct cnsm_region *regions; /* all of them, for the release */
};
/* bytes of zeroed memory, 64-byte aligned; NULL when out of memory.  Safe
 * in a signal handler, reentrant on the owning thread. */
void *cnsm_arena_alloc(struct cnsm_arena *a, size_t bytes) CNSM_HIDDEN;
/* A zeroed chunk, after a tag naming it (module serial, chunk k) for a
 * reader of the live file; NULL when out of memory.  As cnsm_arena_alloc. */
#define CNSM_TAG_BYTES 64u
struct cnsm_chunk *cnsm_arena_alloc_chunk(struct cnsm_arena *a, uint64_t serial,
                                          uint64_t k) CNSM_HIDDEN;
/* a's thread exited: its regions, and payload (what its owner keeps
 * with them), go to the pool of spares; a is left empty.  Registry lock
 * held. */
void cnsm_arena_retire(struct cnsm_arena *a, void *payload) CNSM_HIDDEN;
/* Gives the empty arena a the most recent spare's regions; its payload,
 * or NULL when there is none.  Registry lock held. */
void *cnsm_arena_adopt(struct cnsm_arena *a) CNSM_HIDDEN;
/* Calls each with the address of every spare's payload.  Registry lock
 * held. */
void cnsm_arena_each_spare(void (*each)(void **payload, void *ctx),
                           void *ctx) CNSM_HIDDEN;

/* ---- fds.c -------------------------------------------------------------- */

/* fd, just opened by the runtime, moved near the top of the descriptor
 * limit (the low one closed), where a program expecting the lowest free
 * number for its next open() does not look; fd itself when the limit is
 * low or nothing is free there.  errno is kept. */
int cnsm_fd_aside(int fd) CNSM_HIDDEN;
/* Whether the program's RLIMIT_FSIZE lets a file grow to bytes: beyond
 * it a write raises SIGXFSZ, which kills a program that has not asked for
 * it (a fork child that forbade itself files died at its exit's spool
 * write). */
int cnsm_file_size_allowed(uint64_t bytes) CNSM_HIDDEN;
/* open() (close-on-exec) and opendir() whose descriptor is moved so. */
int cnsm_open_aside(const char *path, int flags, int mode) CNSM_HIDDEN;
DIR *cnsm_opendir_aside(const char *path) CNSM_HIDDEN;
/* Which file a descriptor is: a program may close the runtime's (a daemon
 * closing every descriptor from 3) and open its own under the number. */
struct cnsm_file_id {
  uint64_t dev, ino;
};
int cnsm_fd_identify(int fd, struct cnsm_file_id *id) CNSM_HIDDEN;
/* Whether fd is still open on the file id names. */
int cnsm_fd_is(int fd, const struct cnsm_file_id *id) CNSM_HIDDEN;

/* ---- durable.c --------------------------------------------------------- */

/* The live file (durable.c, live_format.h): counters in a file mapping, so
 * a process that dies without an exit still delivers, through the next. */
struct cnsm_live_acks;
struct cnsm_live_item;
struct cnsm_live_pend_item;
/* Creates and locks this process's live file for sink (the hex hash of
 * cnsm_sink_hash) in the live directory of spool_dir, once.  0, or -1
 * (then counters stay in anonymous memory; said once). */
int cnsm_durable_open(const char *spool_dir, const char *sink) CNSM_HIDDEN;
/* The directory live files of spool_dir live in, into out[len]:
 * /dev/shm/codensm-<uid>-<16 hex digits of the spool directory> when
 * /dev/shm is a tmpfs (created 0700, and only if it is ours), else the
 * spool directory itself.  0 or -1. */
int cnsm_live_dir(const char *spool_dir, char *out, size_t len) CNSM_HIDDEN;
/* Whether path is a directory of ours, mode 0700, not a link. */
int cnsm_own_private_dir(const char *path) CNSM_HIDDEN;
int cnsm_durable_active(void) CNSM_HIDDEN;
/* Whether cnsm_durable_open was called (it is tried once). */
int cnsm_durable_tried(void) CNSM_HIDDEN;
/* size bytes of zeroed memory in the live file for an arena region, or
 * NULL.  Signal-safe. */
void *cnsm_durable_region(size_t size) CNSM_HIDDEN;
/* Writes a chunk's tag (64 bytes at at, in a region) naming its module
 * and chunk.  Signal-safe. */
void cnsm_durable_tag(void *at, uint64_t serial, uint64_t k,
                      uint64_t bytes) CNSM_HIDDEN;
/* A function's record (table entry index); NULL without a live file.
 * Registry lock held. */
struct cnsm_live_acks *cnsm_durable_fn(size_t index, const char *name,
                                       const char *department,
                                       uint32_t weight) CNSM_HIDDEN;
/* Copies v into the record r (NULL: nothing).  Registry lock held. */
void cnsm_durable_acks(struct cnsm_live_acks *r,
                       const struct cnsm_live_acks *v) CNSM_HIDDEN;
struct cnsm_live_estimate;
/* Copies v into the estimate beside the record r (NULL: nothing).
 * Registry lock held. */
void cnsm_durable_estimate(struct cnsm_live_acks *r,
                           const struct cnsm_live_estimate *v) CNSM_HIDDEN;
/* Records module serial's slots (table indices).  Registry lock held. */
int cnsm_durable_module(uint64_t serial, uint32_t count,
                        const size_t *entry) CNSM_HIDDEN;
/* The batch about to be sent (before it is), and what the acknowledgements
 * become once it is stored; _end once its outcome is applied.  Flush lock
 * held.  0, or -1 when it could not be recorded. */
int cnsm_durable_inflight_begin(const char *key, const char *body,
                                const struct cnsm_live_item *items,
                                size_t count) CNSM_HIDDEN;
void cnsm_durable_inflight_end(void) CNSM_HIDDEN;
/* Taking over spool files: _begin before any pending figure is added,
 * with the count figures pending then (saved[], their FN records'
 * indices), _absorbed once they all are (the files named, which are
 * removed next), _end once they are removed.  Flush lock held.  _begin
 * gives 0, or -1 when the figures pending could not be recorded (nothing
 * may be taken over then). */
int cnsm_durable_absorb_begin(const struct cnsm_live_pend_item *saved,
                              size_t count) CNSM_HIDDEN;
int cnsm_durable_absorbed(const char *const *names, size_t count) CNSM_HIDDEN;
void cnsm_durable_absorb_end(void) CNSM_HIDDEN;
/* Every figure of the file is now in the spool file named by stem, or in
 * its hidden copy (live_format.h, handoff); NULL: not after all (the copy
 * could not take its name).  Flush lock held. */
void cnsm_durable_hand_off(const char *stem) CNSM_HIDDEN;
/* The endpoint or key changed: the file follows the new sink. */
void cnsm_durable_set_sink(const char *sink) CNSM_HIDDEN;
/* The live file's name (in the spool directory), or NULL. */
const char *cnsm_durable_name(void) CNSM_HIDDEN;
/* Exit: delivered, the file goes; else it stays for the next process. */
void cnsm_durable_finish(int delivered) CNSM_HIDDEN;
/* The program confines itself: room to grow into now, no growth after. */
void cnsm_durable_seal(void) CNSM_HIDDEN;
/* It did not after all (its call failed): growth as before. */
void cnsm_durable_unseal(void) CNSM_HIDDEN;
/* Installs the fork handler that gives a child its own file (once; before
 * the registry's and the deltas' handlers). */
void cnsm_durable_init_once(void) CNSM_HIDDEN;
/* H = SHA-256(endpoint "\n" key) in hex: what spool and live files are
 * named and keyed by. */
void cnsm_sink_hash(const char *endpoint, const char *key,
                    char out[65]) CNSM_HIDDEN;
/* Creates dir and its parents (mode 0700); 0 or -1. */
int cnsm_mkdirs(const char *dir) CNSM_HIDDEN;

/* ---- registry.c -------------------------------------------------------- */

/* A registered module (runtime-owned; *desc->runtime_state points at it). */
struct cnsm_module {
  const struct cnsm_module_desc *desc;
  struct cnsm_dir *dirs;     /* threads' directories: pushed lock-free,
                                removed under lock */
  struct cnsm_slot *retired; /* CNSM_SLOT_COUNT folded slots */
  size_t *entry;             /* table index per counting slot, or NULL */
  /* Slots entry maps: the functions', then (when the unit has any) every
   * edge's, an edge EDGE_COUNTS_CALLEE mapped to its callee's entry. */
  uint32_t entry_count;
  struct cnsm_module *next;
  struct cnsm_module *next_unloaded; /* see cnsm_unloaded_modules */
  uint64_t serial;                   /* names it in the live file */
  int recorded;                      /* its slots are in the live file */
  int in_executable; /* in the program itself, never unloaded (registry.c) */
  int counted;       /* a thread counted in it (cnsm_module_counted) */
  struct cnsm_hist **hists; /* per function, made by the first timed call */
  uint64_t *edges_seen;     /* per edge: the calls drained (callers.c) */
  /* Per function: its edge EDGE_FROM_CALLEE, or UINT32_MAX (callers.c). */
  uint32_t *edge_from_callee;
  /* Per function: the clock (ticks) until which its every call is timed,
   * 0 for none (probe.c); NULL until the module's first probe. */
  uint64_t *probe_until;
};

/* The runtime's record of desc, or NULL. */
static inline struct cnsm_module *
cnsm_module_of(const struct cnsm_module_desc *desc) {
  return __atomic_load_n((struct cnsm_module **)desc->runtime_state,
                         __ATOMIC_ACQUIRE);
}

/* Whether desc was built for another ABI: the runtime refused it at its
 * registration (one warning), and every entry point that reaches the
 * runtime leaves it at once, without a lock, counting nothing.  Only
 * abi_version is read: it is the descriptor's first field in every ABI. */
static inline int cnsm_refused(const struct cnsm_module_desc *desc) {
  return desc->abi_version != CODENSM_ABI_VERSION;
}

extern pthread_mutex_t cnsm_registry_lock CNSM_HIDDEN;
extern struct cnsm_module *cnsm_modules CNSM_HIDDEN;

/* m->entry of a function listed but not instrumented (the trivial-function
 * policy): it has no table entry, so it is never sent as never called. */
#define CNSM_NOT_COUNTED (SIZE_MAX - 1)
/* The table index of desc's function slot (mapping its module), or
 * SIZE_MAX when desc is not registered or the slot has no entry: a
 * cnsm_index_fn.  Registry lock held. */
size_t cnsm_fn_index_of(const struct cnsm_module_desc *desc,
                        uint32_t slot) CNSM_HIDDEN;
/* Builds m->entry (table indices).  Registry lock held.  0 or -1. */
int cnsm_module_map(struct cnsm_module *m) CNSM_HIDDEN;
/* Opens the live file when a sink is wanted and it is not yet tried, and
 * records the modules registered so far. */
void cnsm_registry_start_durable(void) CNSM_HIDDEN;
/* Registers desc (the runtime's first use, whatever the order). */
void cnsm_register(const struct cnsm_module_desc *desc) CNSM_HIDDEN;
/* The process is exiting and its modules' destructors have run: a call of
 * an unregistered module (a signal handler's, during the exit flush) is
 * not counted rather than registering it, whose malloc could wait for a
 * heap lock the interrupted flush holds. */
void cnsm_registry_close(void) CNSM_HIDDEN;
/* Runs hook after each thread's first call into a module: the layer above
 * starts its flusher there (api.c), the registry knows nothing of it. */
void cnsm_registry_on_first_use(void (*hook)(void)) CNSM_HIDDEN;
/* *to = v, written only where it changes; whether it wrote.  A fork child
 * shares its parent's pages until it writes one, and its snapshots at the
 * fork and at its exit pass over every entry of the table: written whole,
 * each child of a 21,000-function program copied the table's 7 MB, page
 * by page (a third of its CPU, with an endpoint). */
#define cnsm_set(to, v)                                                        \
  __extension__({                                                              \
    __typeof__(*(to)) *set_to_ = (to);                                         \
    __typeof__(*(to)) set_v_ = (v);                                            \
    int set_changed_ = *set_to_ != set_v_;                                     \
    if (set_changed_)                                                          \
      *set_to_ = set_v_;                                                       \
    set_changed_;                                                              \
  })
/* Whether s counted nothing. */
static inline int cnsm_slot_is_zero(const struct cnsm_slot *s) {
  return !s->calls && !s->errors && !s->samples && !s->ticks;
}
/* *to = v, written only where it changes (cnsm_set). */
static inline void cnsm_slot_set(struct cnsm_slot *to,
                                 const struct cnsm_slot *v) {
  if (to->calls != v->calls || to->errors != v->errors ||
      to->samples != v->samples || to->ticks != v->ticks)
    *to = *v;
}
/* acc += s, for a slot only the caller's thread writes (or a folded one). */
static inline void cnsm_slot_add(struct cnsm_slot *acc,
                                 const struct cnsm_slot *s) {
  acc->calls += s->calls;
  acc->errors += s->errors;
  acc->samples += s->samples;
  acc->ticks += s->ticks;
}
/* acc += s, for a live slot its own thread may be writing.  Calls are
 * read before errors: read the other way round, a reader preempted
 * between the two loads saw every call its thread made in the meantime
 * as a success; a background flush sent those, and their errors later
 * had no call left to pair with (runtime.test_churn_tsan lost 425 of
 * 80,000 errors of an always-failing function once).  Errors beyond the
 * calls read are left to the snapshot, which keeps a function's errors
 * within its calls (snapshot.c): not here, because a slot's errors can
 * belong to calls other slots counted (an inlined copy's calls are its
 * site's edge's, EDGE_COUNTS_CALLEE, read after this slot, while an
 * exception through the copy counts its error here). */
static inline void cnsm_slot_add_live(struct cnsm_slot *acc,
                                      struct cnsm_slot *s) {
  acc->calls += __atomic_load_n(&s->calls, __ATOMIC_ACQUIRE);
  acc->errors += __atomic_load_n(&s->errors, __ATOMIC_ACQUIRE);
  acc->samples += CNSM_LOAD(&s->samples);
  acc->ticks += CNSM_LOAD(&s->ticks);
}
/* acc[0..n) += the counters of directory d (a module of n functions);
 * users[i] += 1 for each slot i d counted a call in (users may be NULL). */
void cnsm_dir_add(struct cnsm_slot *acc, uint32_t *users,
                  const struct cnsm_dir *d, uint32_t n) CNSM_HIDDEN;
/* Installs the pthread_atfork handlers (once). */
void cnsm_registry_init_once(void) CNSM_HIDDEN;
/* Calls fn on each real chunk of this thread's own directories, with the
 * number of its slots that are functions' (not edges'). */
void cnsm_registry_each_own_chunk(void (*fn)(struct cnsm_chunk *c,
                                             uint32_t functions, void *arg),
                                  void *arg) CNSM_HIDDEN;
/* Installs the sampling's fork handler (once), after the registry's:
 * a fork child draws its own next timed calls. */
void cnsm_sampling_init_once(void) CNSM_HIDDEN;
/* The C side of the rare entry points (hooks.c, registry.c), which the
 * exported __codensm_sample_start, __codensm_sample_stop and
 * __codensm_chunk wrap (trampolines_x86_64.S on x86-64). */
uint64_t cnsm_sample_start(cnsm_unit_fn unit, uint64_t slot,
                           void *counted_in) CNSM_HIDDEN;
void cnsm_sample_stop(cnsm_unit_fn unit, uint64_t slot, uint64_t start,
                      uint64_t end) CNSM_HIDDEN;
void *cnsm_chunk_first(cnsm_unit_fn unit, uint64_t k) CNSM_HIDDEN;

/* ---- frames.c ---------------------------------------------------------- */

/* Whether a timed start of the function whose slot in this thread's
 * chunk is s, at stack address stack (the start's own frame), is inside
 * a timed frame of the same function; *left: a timed frame of the
 * function was left without a stop since its last start.  Forgets the
 * frames the start shows gone. */
int cnsm_frame_inside(const struct cnsm_slot *s, uintptr_t stack,
                      int *left) CNSM_HIDDEN;
/* Records a timed start that is not inside one of its function's. */
void cnsm_frame_start(const struct cnsm_slot *s, uintptr_t stack) CNSM_HIDDEN;
/* The stop of the innermost timed frame of s's function, at stack. */
void cnsm_frame_stop(const struct cnsm_slot *s, uintptr_t stack) CNSM_HIDDEN;

/* ---- causes.c ---------------------------------------------------------- */

/* An error exit of unit's function slot, whose entry read the thread's
 * error epoch as mark: counts the error's root cause.  Lock-free, safe in
 * a signal handler. */
void cnsm_error_exit(cnsm_unit_fn unit, uint64_t slot,
                     uint64_t mark) CNSM_HIDDEN;
/* The table index of desc's function slot, SIZE_MAX when desc is not a
 * registered module (registry.c: the table's index of a module's slot). */
typedef size_t (*cnsm_index_fn)(const struct cnsm_module_desc *desc,
                                uint32_t slot);
/* Moves the root causes counted since the last drain into the functions'
 * lists (cnsm_fn.causes), naming them by index_of.  Registry lock held. */
void cnsm_causes_drain(cnsm_index_fn index_of) CNSM_HIDDEN;
extern __thread uint64_t __codensm_error_epoch;

/* ---- probe.c ----------------------------------------------------------- */

struct cnsm_probe_order; /* sink_http's */

/* Times every call of the functions orders[0..n) name for their seconds,
 * and ends every other probe.  Takes the registry lock. */
void cnsm_probes_apply(const struct cnsm_probe_order *orders,
                       size_t n) CNSM_HIDDEN;
/* Slot j of chunk c: its next call timed, and every call after it while
 * a probe lasts (the period 1).  hooks.c. */
void cnsm_sample_every_call(struct cnsm_chunk *c, uint32_t j) CNSM_HIDDEN;

/* ---- callers.c --------------------------------------------------------- */

/* Whether any thread counted a call of m: a chunk of one of its
 * directories holds counters.  If not, every slot of m reads 0 (a
 * registered module's retired slots are filled only as it unregisters),
 * and a snapshot or a drain of its edges has nothing to read.  Registry
 * lock held. */
int cnsm_module_counted(struct cnsm_module *m) CNSM_HIDDEN;
/* Moves the calls the edges of the modules of the list counted since the
 * last drain into their callees' lists (cnsm_fn.callers); the modules
 * must be mapped (an unmapped one waits).  Registry lock held. */
void cnsm_callers_drain(struct cnsm_module *modules) CNSM_HIDDEN;
/* Notes the symbols of m's functions (just mapped), by which other
 * units' edges name them.  Registry lock held. */
void cnsm_callers_note_symbols(const struct cnsm_module *m) CNSM_HIDDEN;
/* The same for m alone, whose directories were folded into m->retired
 * (unregistering), and the last time for m.  Registry lock held. */
void cnsm_callers_drain_unloading(struct cnsm_module *m) CNSM_HIDDEN;
/* This thread's chunk k of desc, allocated (with the thread's directory)
 * when it has only the sentinel; a scratch chunk when memory is out.
 * Never NULL, never the sentinel. */
struct cnsm_chunk *cnsm_chunk_get(const struct cnsm_module_desc *desc,
                                  uint64_t k) CNSM_HIDDEN;

struct cnsm_batch_item;

/* ---- snapshot.c -------------------------------------------------------- */

/* One function's delta, copied out of the table so it can be sent without
 * the lock. */
struct cnsm_delta {
  size_t index; /* table entry: the encoder keeps its head by it */
  const char *name;
  const char *department;
  uint32_t weight;
  uint64_t calls, errors, ns; /* own part: current - acknowledged */
  uint64_t pend_calls, pend_errors, pend_ns; /* spooled part */
  int announced; /* an earlier send already listed it */
  /* Extensions, for a receiver that asked for them: the source location
   * and a copy of the timed calls' buckets (in the list's storage). */
  const char *file;
  uint32_t line;
  const struct cnsm_hist_pair *hist;
  size_t hist_n;
  /* Errors by root cause, and calls by caller: names beside the pairs. */
  const struct cnsm_hist_pair *causes, *callers;
  const char *const *cause_names, *const *caller_names;
  size_t causes_n, callers_n;
};

struct cnsm_delta_list {
  struct cnsm_delta *items;
  size_t count, cap;          /* items is reused while cap suffices */
  struct cnsm_hist_list hist; /* the items' buckets and causes, in turn */
  const char **names;         /* beside hist's pairs: a cause's name */
  size_t names_cap;
};

/* Fills the table's cur_* fields from every module.  Registry lock held. */
void cnsm_snapshot(void) CNSM_HIDDEN;
/* Snapshot and list what must be sent (deltas, announcements, spooled
 * values, and the extensions (CNSM_EXT_*) asked for: a function with only
 * those to send is listed with zero deltas) into out, reusing its
 * storage.  A source location is sent until one is acknowledged.  Every delta
 * has errors <= calls; unless everything is wanted (final: exit, shutdown,
 * codensm_flush), a few calls are held back to pair with errors still to come.
 * Takes the registry lock.  0 or -1 (out of memory). */
int cnsm_collect(struct cnsm_delta_list *out, int everything,
                 unsigned extensions) CNSM_HIDDEN;
/* Frees what out holds and empties it. */
void cnsm_delta_list_free(struct cnsm_delta_list *l) CNSM_HIDDEN;
/* Moves the acknowledgement by exactly what d[0..n) carried.  Takes the
 * registry lock.  1 when that acknowledged the last spooled figures: the
 * caller releases their files (cnsm_spool_release). */
int cnsm_acknowledge(const struct cnsm_delta *d, size_t n) CNSM_HIDDEN;
/* Adds figures read from the spool, or given back, to entry i's pending
 * (pend_*) part, saturating.  Registry lock held. */
void cnsm_pend_add(size_t i, uint64_t calls, uint64_t errors,
                   uint64_t ns) CNSM_HIDDEN;
/* Records in the live file that d[0..n) is about to be sent as body under
 * key, with what the acknowledgements become once it is stored
 * (cnsm_durable_inflight_end after its outcome).  0, or -1. */
int cnsm_inflight_begin(const char *key, const char *body,
                        const struct cnsm_delta *d, size_t n) CNSM_HIDDEN;
/* Whether no spooled or given-back figures wait for acknowledgement.
 * Takes the registry lock. */
int cnsm_pend_settled(void) CNSM_HIDDEN;
/* cnsm_durable_absorb_begin with the figures pending now.  Takes the
 * registry lock. */
int cnsm_pend_absorb_begin(void) CNSM_HIDDEN;
/* Gives the figures of a batch that was refused back to the table (its
 * pend_* part), to be sent again in new batches. */
void cnsm_unacknowledge(const struct cnsm_batch_item *it, size_t n) CNSM_HIDDEN;
/* d was refused alone for good: acknowledged, and the function's later
 * deltas are dropped too.  Takes the registry lock.  1 as
 * cnsm_acknowledge. */
int cnsm_drop(const struct cnsm_delta *d) CNSM_HIDDEN;
/* Installs the fork handler that makes a child report only its own calls
 * (once; the registry's first). */
void cnsm_snapshot_init_once(void) CNSM_HIDDEN;

/* ---- live_read.c -------------------------------------------------------- */

/* What a dead process's live file still has to deliver, told to: */
struct cnsm_live_reader {
  /* each function it names (with zeros when nothing is due) */
  void (*function)(void *ctx, const char *name, const char *department,
                   uint32_t weight, uint64_t calls, uint64_t errors,
                   uint64_t ns);
  /* its batch in flight, to be resent verbatim under key */
  void (*batch)(void *ctx, const char *key, const char *body);
  /* each spool file whose figures it took over (to be removed) */
  void (*absorbed)(void *ctx, const char *name);
  /* the stem of the spool file that holds all its figures (a fork child
   * handed them to its parent): its own are not read */
  void (*handed_off)(void *ctx, const char *stem);
  void *ctx;
};
/* Reads a live file's bytes; a NULL callback is skipped (function NULL:
 * only the absorbed files).  0, 1 when it is another sink's, -1 when it
 * is not a live file. */
int cnsm_live_parse(const void *buf, size_t len, const char *sink,
                    const struct cnsm_live_reader *r) CNSM_HIDDEN;

/* ---- takeover.c -------------------------------------------------------- */

/* A live file of a process that is gone, locked and mapped. */
struct cnsm_dead {
  char *path;
  int fd;
  void *map;
  size_t len;
  int taken;    /* its figures are ours now: remove it with the others */
  int absorbed; /* another dead file took it over: not to be read */
};
/* Every live file in dir of the sink whose hash is given (not ours) that
 * no process holds, into a malloc'd *out[0..*count); set_aside gets the
 * path of one that cannot be a live file.  0. */
int cnsm_dead_find(const char *dir, const char *hash, struct cnsm_dead **out,
                   size_t *count,
                   void (*set_aside)(const char *path)) CNSM_HIDDEN;
/* Removes the live directories in /dev/shm whose spool directory is gone
 * (takeover.c): their dead processes' files older than ten minutes, and
 * the directory once empty. */
void cnsm_orphans_sweep(void) CNSM_HIDDEN;
/* Removes the hidden spool files (.<H16>-<pid>-<ns>.tmp) of the sink
 * whose hash is given from dir and live_dir (NULL: none), older than ten
 * minutes, whose writer is gone: a spool file its writer was killed
 * before naming.  After the take-over's first pass, which names those a
 * dead fork child's live file points to; at most once a minute. */
void cnsm_dead_tmp_sweep(const char *dir, const char *live_dir,
                         const char *hash) CNSM_HIDDEN;
/* Whether no process has the pid any more. */
int cnsm_pid_gone(pid_t pid) CNSM_HIDDEN;
/* Unmaps, unlocks and frees them, removing those taken first when
 * remove. */
void cnsm_dead_release(struct cnsm_dead *dead, size_t count,
                       int remove) CNSM_HIDDEN;
/* The same for one of them, the array left as it is. */
void cnsm_dead_close(struct cnsm_dead *d, int remove) CNSM_HIDDEN;

/* ---- batch.c ----------------------------------------------------------- */

/* A batch's figures for one table entry (all parts together). */
struct cnsm_batch_item {
  size_t index;
  uint64_t calls, errors, ns;
};

/* A frozen batch: sent, no answer.  It is resent with exactly this body
 * and key until the collector acknowledges or refuses it. */
struct cnsm_frozen {
  char key[64];                  /* Idempotency-Key */
  char *body;                    /* verbatim, NUL-ended */
  struct cnsm_batch_item *items; /* for giving its figures back */
  size_t n;
  char *path; /* its spool file (claimed by this process), or NULL */
  char *version, *instance; /* labels of a spooled one, or NULL: ours */
  struct cnsm_frozen *next;
};

#define CNSM_KEY_SIZE 64
/* Installs the fork handler that gives a child its own keys and no frozen
 * batch of its parent's (cnsm_flusher_init_once). */
void cnsm_batch_init_once(void) CNSM_HIDDEN;
/* Writes the next Idempotency-Key: <128-bit random hex>-<sequence>. */
void cnsm_batch_new_key(char key[CNSM_KEY_SIZE]) CNSM_HIDDEN;
/* Whether key has the form the collector accepts. */
int cnsm_batch_key_valid(const char *key) CNSM_HIDDEN;
/* Queues a frozen batch of d[0..n) with a copy of body.  NULL when out of
 * memory.  Flush lock held. */
struct cnsm_frozen *cnsm_frozen_add(const char *key, const char *body,
                                    const struct cnsm_delta *d,
                                    size_t n) CNSM_HIDDEN;
/* Queues a frozen batch read from the spool (its items from the body),
 * to be sent with the labels it was counted under (kept when valid);
 * takes the registry lock.  0, or -1 when body is not an ingest body. */
int cnsm_frozen_adopt(const char *key, const char *body, char *path,
                      const char *version, const char *instance) CNSM_HIDDEN;
/* The oldest frozen batch, or NULL. */
struct cnsm_frozen *cnsm_frozen_first(void) CNSM_HIDDEN;
/* Removes the oldest frozen batch and its spool file. */
void cnsm_frozen_pop(void) CNSM_HIDDEN;
/* Gives every frozen spool file back for the next process (exit). */
void cnsm_frozen_unclaim_all(void) CNSM_HIDDEN;

/* ---- encode.c ---------------------------------------------------------- */

/* Installs the fork handler that leaves the parent's buffers to it. */
void cnsm_encode_init_once(void) CNSM_HIDDEN;
/* The ingest body {"functions":[...]} for d[0..n): NUL-ended, no newline,
 * valid until the next call (flush lock held).  NULL when out of memory.
 * Each function's escaped name, department and weight are kept by
 * d->index for the next call, and used while they still match. */
const char *cnsm_encode(const struct cnsm_delta *d, size_t n,
                        unsigned extensions) CNSM_HIDDEN;
/* Frees the kept heads and the body's buffer (codensm_shutdown); the next
 * cnsm_encode starts anew.  Flush lock held. */
void cnsm_encode_release(void) CNSM_HIDDEN;
/* A deltas file's text (spool.c, whose reader reads it back):
 * {"sink":sink,"endpoint":endpoint,"functions":[...]}, each function with
 * "total_ns" for "total_ms" and every extension it has.  Malloc'd; NULL
 * when out of memory.  Needs no lock. */
char *cnsm_encode_deltas_file(const char *sink, const char *endpoint,
                              const struct cnsm_delta *d, size_t n) CNSM_HIDDEN;
/* Writes ns as milliseconds "123.456789" into buf (>= 32 bytes). */
void cnsm_format_ms(char *buf, uint64_t ns) CNSM_HIDDEN;

/* ---- sinks ------------------------------------------------------------- */

/* Outcome of one send. */
enum cnsm_outcome {
  CNSM_SENT = 0,     /* 2xx: stored (or a repeat of a stored batch) */
  CNSM_UNSENT = -1,  /* surely not stored (no connection, 401/403, 404/405,
                        file not writable): kept, merged with later deltas */
  CNSM_UNKNOWN = -2, /* maybe stored (no answer, reset, 5xx, 408, 429): the
                        batch is frozen, resent as is under its key */
  CNSM_REFUSED = -3, /* a 4xx retrying cannot fix: the batch is split */
};
#define CNSM_FAILED CNSM_UNSENT

/* Loads libcurl in the calling thread, once per process (the flusher's
 * starter, before the thread: a fork while a background thread is inside
 * dlopen leaves the child a dynamic loader half way through it).  Nothing
 * when this thread is already loading it (an instrumented library of
 * libcurl's, starting the flusher from its constructor). */
void cnsm_http_load(void) CNSM_HIDDEN;
/* Cuts short the send running and any later one (on), or lets them be. */
void cnsm_http_cut(int on) CNSM_HIDDEN;
/* POSTs body to an http(s) endpoint within timeout_ms, with an
 * Idempotency-Key header when idem_key is not NULL and the label headers
 * of version and instance when not NULL; an enum cnsm_outcome.
 * Says once per process and cause on stderr what the user must fix. */
int cnsm_http_send(const char *endpoint, const char *api_key,
                   const char *idem_key, const char *version,
                   const char *instance, const char *body,
                   long timeout_ms) CNSM_HIDDEN;
/* Installs the fork handler that leaves the parent's connection to it. */
void cnsm_http_init_once(void) CNSM_HIDDEN;
/* The extensions endpoint's last stored answer asked for (its
 * X-CodeNSM-Extensions header); 0 until one did. */
unsigned cnsm_http_extensions(const char *endpoint) CNSM_HIDDEN;
/* Whether this process (or its parent before the fork) has had a stored
 * answer from endpoint. */
int cnsm_http_answered(const char *endpoint) CNSM_HIDDEN;
/* One probe a receiver asked for: time every call of the function named
 * name for seconds (1 to 86,400). */
struct cnsm_probe_order {
  char *name;
  uint32_t seconds;
};
#define CNSM_PROBES_MAX 64
/* The probes the last stored answer listed (*orders, valid until the next
 * send), once: -1 when no answer was stored since the last take. */
long cnsm_http_take_probes(const struct cnsm_probe_order **orders) CNSM_HIDDEN;
/* The HTTP status and the start of the body of the last answer. */
extern long cnsm_http_last_status CNSM_HIDDEN;
const char *cnsm_http_last_answer(void) CNSM_HIDDEN;
/* Appends body and a newline to the file of a file:// URL, one write. */
int cnsm_file_send(const char *endpoint, const char *body) CNSM_HIDDEN;
/* Whether the file of a file:// URL ends with body as one of its recent
 * lines (a batch a dead process appended before it could say so). */
int cnsm_file_has_line(const char *endpoint, const char *body) CNSM_HIDDEN;
/* The path of a file:// URL, or NULL. */
const char *cnsm_file_path(const char *endpoint) CNSM_HIDDEN;

/* ---- known.c ----------------------------------------------------------- */

/* Reads what the receiver of an http(s) endpoint and key already holds
 * (the functions announced and the source locations it acknowledged to
 * earlier processes), once per process and sink; nothing for a file://
 * endpoint, without a spool directory, or sealed.  Flush lock held. */
void cnsm_known_load(const char *spool_dir, const char *endpoint,
                     const char *api_key) CNSM_HIDDEN;
/* Marks the table's entries not compared yet as announced, and their
 * source as sent, where the receiver holds them.  Registry lock held. */
void cnsm_known_recall(const struct cnsm_overrides *o) CNSM_HIDDEN;
/* The receiver acknowledged d, e's delta (before e's flags are set).
 * Registry lock held. */
void cnsm_known_note(const struct cnsm_fn *e,
                     const struct cnsm_delta *d) CNSM_HIDDEN;
/* Appends what was acknowledged since the last save to the file.  Flush
 * lock held, not the registry lock. */
void cnsm_known_save(void) CNSM_HIDDEN;
/* The extensions (CNSM_EXT_*) that every remembered answer of the
 * receiver asked for; 0 when none is remembered. */
unsigned cnsm_known_extensions(void) CNSM_HIDDEN;
/* Remembers that an answer of the receiver asked for mask (maybe 0). */
void cnsm_known_note_extensions(unsigned mask) CNSM_HIDDEN;

/* ---- spool.c ----------------------------------------------------------- */

/* Spool files are named by a hash of the endpoint AND the key: figures of
 * one project are never sent with another project's key.  A file bigger
 * than this many bytes is set aside, not read. */
#define CNSM_SPOOL_FILE_MAX (64u << 20)

/* Whether dir holds spool files of this endpoint and key; takes no lock. */
int cnsm_spool_has_files(const char *dir, const char *endpoint,
                         const char *api_key) CNSM_HIDDEN;
/* Claims this endpoint and key's spool files: deltas are added to the
 * table's pend_* fields, frozen batches queued (batch.c); a corrupt,
 * oversize or irregular file is renamed *.corrupt with a warning.
 * Returns how many functions and batches were loaded. */
size_t cnsm_spool_load(const char *spool_dir, const char *endpoint,
                       const char *api_key) CNSM_HIDDEN;
/* Unlinks the claimed files once their deltas were acknowledged. */
void cnsm_spool_release(void) CNSM_HIDDEN;
/* Installs the fork handler that leaves the claimed files to the parent. */
void cnsm_spool_init_once(void) CNSM_HIDDEN;
/* Writes d[0..n) (own + spooled parts) as this endpoint and key's spool
 * file, atomically, then (when release) unlinks the claimed files.  0 or
 * -1. */
int cnsm_spool_write(const char *spool_dir, const char *endpoint,
                     const char *api_key, const struct cnsm_delta *d, size_t n,
                     int release) CNSM_HIDDEN;
/* A fork child's exit: writes d[0..n) (with their extensions) as a spool
 * file of endpoint and key, in spool_dir's live directory, for its parent
 * to send merged with its own,
 * naming it in the live file before it takes its name (live_format.h,
 * handoff), then unlinks the claimed files.  0 or -1 (nothing written). */
int cnsm_spool_hand_off(const char *spool_dir, const char *endpoint,
                        const char *api_key, const struct cnsm_delta *d,
                        size_t n) CNSM_HIDDEN;
/* Writes a frozen batch (key, labels and body verbatim) as a spool file
 * claimed by this process; its malloc'd path, or NULL. */
char *cnsm_spool_write_batch(const char *spool_dir, const char *endpoint,
                             const char *api_key, const char *idem_key,
                             const char *version, const char *instance,
                             const char *body) CNSM_HIDDEN;

/* ---- handoff.c --------------------------------------------------------- */

/* Makes the page our fork children read and installs its fork handler
 * (load time, before any thread exists). */
void cnsm_handoff_init_once(void) CNSM_HIDDEN;
/* Whether our children may hand us their figures, for the sink whose
 * identity is given (the flusher runs with an http sink). */
void cnsm_handoff_take(int taking, uint64_t sink) CNSM_HIDDEN;
/* Our flusher is awake: children's figures will be loaded. */
void cnsm_handoff_beat(void) CNSM_HIDDEN;
/* Our final flush: children take no more, and those writing are waited
 * for (a quarter of a second at most). */
void cnsm_handoff_close(void) CNSM_HIDDEN;
/* Whether our children may hand us their figures (cnsm_handoff_take). */
int cnsm_handoff_taking(void) CNSM_HIDDEN;
/* Whether a child handed figures over since cnsm_handoff_seen. */
int cnsm_handoff_arrived(void) CNSM_HIDDEN;
/* The spool is about to be loaded: what was handed so far is in it. */
void cnsm_handoff_seen(void) CNSM_HIDDEN;
/* Whether we are a fork child whose parent is alive, takes figures for
 * the sink whose identity is given and beat within within_ns: it then
 * loads the spool, and we leave it alone. */
int cnsm_handoff_parent_takes(uint64_t sink, uint64_t within_ns) CNSM_HIDDEN;
/* A fork child's exit: 1 when its parent takes its figures (as
 * cnsm_handoff_parent_takes; then cnsm_handoff_end must follow), else 0. */
int cnsm_handoff_begin(uint64_t sink, uint64_t within_ns) CNSM_HIDDEN;
/* They are in the spool (handed) or not after all. */
void cnsm_handoff_end(int handed) CNSM_HIDDEN;

/* ---- spool_read.c ------------------------------------------------------ */

/* Loads one spool file's text: a deltas file's figures into the table, a
 * frozen batch into batch.c's queue (which then owns path).  0, 1 when it
 * is another sink's, -1 when it is not a spool file.  Registry lock not
 * held. */
int cnsm_spool_parse(const char *text, size_t len, const char *sink_hash,
                     char *path) CNSM_HIDDEN;

/* ---- json_scan.c ------------------------------------------------------- */

/* A cursor in JSON text, read in place (json_scan.c). */
struct cnsm_json {
  const char *p, *end;
};
/* A number as read: its value, and as a count (a positive number,
 * saturated; exact for integers; 0 below 1). */
struct cnsm_json_number {
  double value;
  uint64_t count;
};
/* The next character that is not white space, or -1 at the end. */
int cnsm_json_peek(struct cnsm_json *j) CNSM_HIDDEN;
/* Checks and passes one value; 0, or -1 when it is not JSON. */
int cnsm_json_skip(struct cnsm_json *j) CNSM_HIDDEN;
/* Passes the '{' or '[' open; 0, or -1 when another value is there. */
int cnsm_json_open(struct cnsm_json *j, char open) CNSM_HIDDEN;
/* Steps to the next member of the object or array being read (close: its
 * '}' or ']'; *first 1 before the first): 1 with one to read (an
 * object's key decoded into key, of key_cap bytes, and its ':' passed), 0
 * at the end (passed), -1 when it is not JSON. */
int cnsm_json_member(struct cnsm_json *j, char close, int *first, char *key,
                     size_t key_cap) CNSM_HIDDEN;
/* A string value decoded into out (cut to cap - 1 bytes, NUL-ended); 0,
 * or -1 when the value is not a string (then passed). */
int cnsm_json_string(struct cnsm_json *j, char *out, size_t cap) CNSM_HIDDEN;
/* A number value; 0, or -1 when it is not a number (then passed). */
int cnsm_json_number(struct cnsm_json *j,
                     struct cnsm_json_number *out) CNSM_HIDDEN;

/* ---- flusher.c --------------------------------------------------------- */

/* Installs the fork handlers of the flusher and of the layers it sends
 * through (the HTTP sink, the encoder, the spool, the frozen batches):
 * at load time, before any thread exists.  glibc runs a child handler
 * only if it was registered before the fork began: one that the flusher
 * thread installed at its first batch, while another thread was forking,
 * was skipped in that child, which kept its parent's batch keys and sent
 * a second body under a key the parent had used (a 422: the calls in it
 * dropped; 1 run in 6 of 50 children forked during the first flush). */
void cnsm_flusher_init_once(void) CNSM_HIDDEN;
/* Starts the background flusher if the configuration wants one (lazy,
 * once per process; again in a fork child). */
void cnsm_flusher_maybe_start(void) CNSM_HIDDEN;
/* Sends every delta now (codensm_flush): 0 when all were acknowledged,
 * -1 when there is no sink, a send failed or took over 10 s. */
int cnsm_flusher_flush(void) CNSM_HIDDEN;
/* The program confines itself: the thread stops, nothing is sent again
 * (an http send running is cut short: sink_http.c). */
void cnsm_flusher_seal(void) CNSM_HIDDEN;
/* It did not after all: the thread may start again. */
void cnsm_flusher_unseal(void) CNSM_HIDDEN;
/* The final flush (codensm_shutdown; at_exit: the process's exit): stops
 * the thread, sends the rest within CODENSM_EXIT_TIMEOUT, spools what
 * fails.  Only the first call does anything. */
void cnsm_flusher_finish(int at_exit) CNSM_HIDDEN;

/* ---- report.c ---------------------------------------------------------- */

/* Prints the per-function table of totals on f.  Takes the registry lock
 * (with a deadline). */
void cnsm_report_print(FILE *f) CNSM_HIDDEN;

#endif /* CNSM_INTERNAL_H */
