/* SPDX-License-Identifier: Apache-2.0
 *
 * flusher.c - when deltas are sent: a background thread, codensm_flush(),
 * codensm_shutdown() and process exit.
 *
 * The background thread starts lazily, the first time a module registers
 * or attaches with a sink configured (in a fork child: at the child's first
 * instrumented call).  It first sends what earlier processes spooled for
 * this endpoint, then flushes every CODENSM_FLUSH_INTERVAL seconds.  Its
 * signals are blocked, so the application's signals never land on it.
 *
 * Every sender holds flush_lock while it sends (one send at a time, so no
 * delta goes out twice; batch.c's frozen batches and keys make a batch
 * whose answer was lost count once) and takes the registry lock only to read
 * totals and to move acknowledgements (snapshot.c), never across the
 * network; the settings it reads are a copy (config.c).  fork() never waits
 * for flush_lock: the child makes its locks anew and starts its own thread
 * at its first instrumented call.  Large programs go out in batches of
 * CNSM_BATCH_MAX functions, each acknowledged on its own.
 *
 * The final flush (codensm_shutdown, and the exit: api.c) sends what is left
 * within CODENSM_EXIT_TIMEOUT and spools whatever could not be sent.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

#define SEND_TIMEOUT_NS 10000000000ull /* one background or API flush */

static pthread_mutex_t flush_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t thread_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static pthread_t flusher;
static int started;  /* a thread was created in this process */
static int running;  /* ... and has not returned yet */
static int stopping; /* asks it to return */
static int forked;   /* this process forked (fork_parent) */
static int finished; /* shutdown or exit sent the final flush */
static int spool_checked;
static struct cnsm_delta_list pending; /* reused by senders: flush lock */
static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

/* Absolute CLOCK_REALTIME time for a CLOCK_MONOTONIC deadline. */
static struct timespec realtime_at(uint64_t deadline_ns) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  uint64_t now = cnsm_now_ns();
  uint64_t left = deadline_ns > now ? deadline_ns - now : 0;
  uint64_t ns = (uint64_t)ts.tv_nsec + left % 1000000000u;
  ts.tv_sec += (time_t)(left / 1000000000u + ns / 1000000000u);
  ts.tv_nsec = (long)(ns % 1000000000u);
  return ts;
}

/* Locks m before deadline; 0 or -1. */
static int lock_until(pthread_mutex_t *m, uint64_t deadline_ns) {
  struct timespec ts = realtime_at(deadline_ns);
  return pthread_mutex_timedlock(m, &ts) == 0 ? 0 : -1;
}

/* Says once per process where figures go when the user gave a key and no
 * endpoint: the hosted default is a choice made for them. */
static void announce_hosted_default(const char *endpoint) {
  static int announced;
  if (__atomic_exchange_n(&announced, 1, __ATOMIC_RELAXED))
    return;
  cnsm_warn("sending function names and counts to the hosted collector %s "
            "(CODENSM_API_KEY is set, CODENSM_ENDPOINT is not)",
            endpoint);
}

/* Where figures go. */
struct sink {
  const char *endpoint, *key, *spool_dir;
  const char *version, *instance; /* labels (headers), or NULL */
};

/* The sink settings, from a copy of the configuration.  0 when there is a
 * sink to send to. */
static int sink_settings(struct sink *s) {
  struct cnsm_config c = cnsm_config_current();
  s->endpoint = c.disable ? NULL : c.endpoint;
  s->key = c.api_key;
  s->version = c.version;
  s->instance = c.instance;
  if (s->endpoint && c.endpoint_is_default)
    announce_hosted_default(s->endpoint);
  s->spool_dir = c.spool_dir;
  return s->endpoint ? 0 : -1;
}

/* A duration setting in ns. */
static uint64_t seconds_ns(double seconds) { return (uint64_t)(seconds * 1e9); }

/* What a fork child and its parent compare before it hands its figures
 * over (handoff.c): they go to the same endpoint, under the same key,
 * through the same spool directory. */
static uint64_t sink_identity(const struct sink *s) {
  uint64_t h = cnsm_fnv1a(CNSM_FNV1A_BASIS, s->endpoint);
  h = cnsm_fnv1a(cnsm_fnv1a(h, "\n"), s->key ? s->key : "");
  return cnsm_fnv1a(cnsm_fnv1a(h, "\n"), s->spool_dir ? s->spool_dir : "");
}

/* How recently a parent's flusher must have woken for its children to
 * hand it their figures: two of its intervals, and a second. */
static uint64_t beat_within_ns(void) {
  return 2 * seconds_ns(cnsm_config_current().flush_interval_s) + 1000000000ull;
}

/* Sends one body under idem_key before deadline; an enum cnsm_outcome. */
static int post(const struct sink *s, const char *idem_key, const char *body,
                uint64_t deadline_ns) {
  if (cnsm_file_path(s->endpoint))
    return cnsm_file_send(s->endpoint, body);
  uint64_t now = cnsm_now_ns();
  if (now >= deadline_ns)
    return CNSM_UNSENT;
  return cnsm_http_send(s->endpoint, s->key, idem_key, s->version, s->instance,
                        body, (long)((deadline_ns - now) / 1000000u));
}

/* How often a process that runs on looks at the spool again, in flush
 * intervals (at most a minute): the live files of its exec'd or killed
 * children, and spool files written meanwhile, are taken over while it
 * runs, not left until the next process starts. */
#define SPOOL_RESCAN_FLUSHES 4
#define SPOOL_RESCAN_MAX_NS (60ull * 1000000000ull)

/* Claims earlier processes' spool files: at the first send, then every
 * minute, and at once when a fork child handed us its figures; how many
 * functions and batches they hold.  Flush lock held.  Without a live
 * file, only while nothing taken over is unacknowledged: the files taken
 * stay until their figures are, so a process whose sends all fail (a
 * refused key) would claim every file it finds.  With one, the files go
 * as soon as they are taken, and a take-over the process dies in leaves
 * what was pending before it in the live file (live_format.h): a
 * PostgreSQL postmaster whose key was refused left its backends' 521
 * files (195 MB) in the spool in a few minutes, where it now merges them. */
static size_t spool_load_due(const struct sink *s) {
  static uint64_t last_ns;
  uint64_t now = cnsm_now_ns();
  uint64_t every =
      SPOOL_RESCAN_FLUSHES * seconds_ns(cnsm_config_current().flush_interval_s);
  if (every > SPOOL_RESCAN_MAX_NS)
    every = SPOOL_RESCAN_MAX_NS;
  /* A child handed us its figures (handoff.c): at once, not a minute on.
   * A child whose parent takes them leaves the spool to the parent: it
   * would claim its siblings' and send them itself. */
  int due = now - last_ns >= every || cnsm_handoff_arrived();
  if (spool_checked &&
      (!due || (!cnsm_durable_active() && !cnsm_pend_settled()) ||
       cnsm_handoff_parent_takes(sink_identity(s), beat_within_ns())))
    return 0;
  spool_checked = 1;
  last_ns = now;
  cnsm_handoff_seen();
  return cnsm_spool_load(s->spool_dir, s->endpoint, s->key);
}

/* Resends the frozen batches, oldest first, each verbatim under its key.
 * 0 when none is left; -1 at the first that is still unanswered (newer
 * deltas then wait, merged in the table: at most one batch is frozen at a
 * time per process). */
static int resend_frozen(const struct sink *s, uint64_t deadline_ns) {
  struct cnsm_frozen *f;
  while ((f = cnsm_frozen_first())) {
    struct sink as_counted = *s; /* a spooled batch keeps its labels */
    if (f->version && f->instance) {
      as_counted.version = f->version;
      as_counted.instance = f->instance;
    }
    int rc = post(&as_counted, f->key, f->body, deadline_ns);
    if (rc == CNSM_REFUSED) /* refused whole, so not stored: split anew */
      cnsm_unacknowledge(f->items, f->n);
    else if (rc != CNSM_SENT)
      return -1;
    cnsm_debug("frozen batch %s: %s", f->key,
               rc == CNSM_SENT ? "acknowledged" : "refused; sent again split");
    cnsm_frozen_pop();
  }
  return 0;
}

/* Moves the acknowledgement by what d[0..n) carried; once the last
 * spooled figures are acknowledged, the spool files that held them go. */
static void acknowledge(const struct cnsm_delta *d, size_t n) {
  if (cnsm_acknowledge(d, n))
    cnsm_spool_release();
}

/* d[0..n) was sent and not answered: it now belongs to a frozen batch,
 * written to the spool at once (a process killed now leaves it for the
 * next), and leaves the table's pending figures. */
static void freeze(const struct sink *s, const char *key, const char *body,
                   const struct cnsm_delta *d, size_t n) {
  struct cnsm_frozen *f = cnsm_frozen_add(key, body, d, n);
  if (!f)
    return; /* out of memory: kept in the table, sent again merged */
  if (!cnsm_file_path(s->endpoint))
    f->path = cnsm_spool_write_batch(s->spool_dir, s->endpoint, s->key, key,
                                     s->version, s->instance, body);
  acknowledge(d, n);
  cnsm_debug("batch %s frozen: no answer; resent as is", key);
}

/* What permanent refusals dropped during one send_all. */
struct drops {
  size_t functions;
  uint64_t calls;
  long status;
  char answer[160];
  const char *example;
};

/* Sends d[0..n) as a new batch under a new key.  A permanent refusal
 * (400, 413, 422, ...) stores nothing, so the batch is split in halves,
 * each a new batch, until the refused entries are alone: they are
 * dropped, everything else is delivered.  Not when the extensions were
 * remembered from earlier processes (remembered): a refusal may be theirs,
 * and is returned for the caller to send the deltas again without them.
 * Returns CNSM_SENT when all of it was acknowledged or dropped, else the
 * outcome that stopped it. */
static int send_fresh(const struct sink *s, const struct cnsm_delta *d,
                      size_t n, unsigned extensions, int remembered,
                      uint64_t deadline_ns, struct drops *drops) {
  char key[CNSM_KEY_SIZE];
  cnsm_batch_new_key(key);
  const char *body = cnsm_encode(d, n, extensions);
  if (!body)
    return CNSM_UNSENT;
  /* If the process dies from here on, the next one resends this batch
   * under its key (stored once) and takes its acknowledgement as done. */
  cnsm_inflight_begin(key, body, d, n);
  int rc = post(s, key, body, deadline_ns);
  if (rc == CNSM_SENT)
    acknowledge(d, n);
  else if (rc == CNSM_UNKNOWN)
    freeze(s, key, body, d, n);
  cnsm_durable_inflight_end();
  if (rc != CNSM_REFUSED || remembered)
    return rc;
  if (n > 1) {
    rc = send_fresh(s, d, n / 2, extensions, 0, deadline_ns, drops);
    return rc != CNSM_SENT ? rc
                           : send_fresh(s, d + n / 2, n - n / 2, extensions, 0,
                                        deadline_ns, drops);
  }
  if (!drops->functions++) {
    drops->status = cnsm_http_last_status;
    snprintf(drops->answer, sizeof drops->answer, "%s",
             cnsm_http_last_answer());
    drops->example = d->name;
  }
  drops->calls += d->calls + d->pend_calls;
  if (cnsm_drop(d))
    cnsm_spool_release();
  return CNSM_SENT;
}

/* Says once per process that the collector refused some entries for good. */
static void warn_drops(const struct sink *s, const struct drops *drops) {
  static int warned;
  if (!drops->functions)
    return;
  if (warned++) {
    cnsm_debug("dropped %zu more refused functions (%llu calls)",
               drops->functions, (unsigned long long)drops->calls);
    return;
  }
  cnsm_warn("the collector at %s refused %zu function(s) for good (%ld %s), "
            "e.g. \"%.60s\": dropped %llu calls of them, everything else is "
            "delivered; see docs/troubleshooting.md",
            s->endpoint, drops->functions, drops->status, drops->answer,
            drops->example, (unsigned long long)drops->calls);
}

/* The extensions s's receiver asked for; a file is ours: all of them. */
static unsigned extensions_of(const struct sink *s) {
  return cnsm_file_path(s->endpoint) ? CNSM_EXT_ALL
                                     : cnsm_http_extensions(s->endpoint);
}

/* The extensions to send s's receiver: what its answers in this process
 * asked for; before its first answer, what its answers to earlier
 * processes asked for (known.c), so that a short process sends them in
 * its one request, not in a second one after learning them (*remembered
 * then says so). */
static unsigned extensions_to_send(const struct sink *s, int *remembered) {
  *remembered = 0;
  if (cnsm_file_path(s->endpoint) || cnsm_http_answered(s->endpoint))
    return extensions_of(s);
  unsigned known = cnsm_known_extensions();
  *remembered = known != 0;
  return known;
}

/* Lists every delta (and the extensions asked for) and sends them, batch
 * by batch.  0 when all acknowledged (or nothing to send), 1 when a batch
 * with remembered extensions was refused (send_fresh), else -1. */
static int send_round(const struct sink *s, int everything, unsigned extensions,
                      int remembered, uint64_t deadline_ns) {
  struct cnsm_delta_list list = pending;
  int collected = cnsm_collect(&list, everything, extensions);
  pending = list;
  if (collected != 0)
    return -1;
  if (list.count == 0) /* nothing new: no empty line, no request */
    return 0;
  /* Batches for files too: a 1,000-function body stays in the cache while
   * it is encoded and written; one body for 100,000 functions (11 MB) went
   * through memory twice, half the flush's time. */
  int rc = 0;
  struct drops drops = {0};
  for (size_t i = 0; i < list.count; i += CNSM_BATCH_MAX) {
    size_t n =
        list.count - i < CNSM_BATCH_MAX ? list.count - i : CNSM_BATCH_MAX;
    int sent = send_fresh(s, list.items + i, n, extensions, remembered,
                          deadline_ns, &drops);
    if (sent != CNSM_SENT) {
      rc = sent == CNSM_REFUSED ? 1 : -1;
      break;
    }
  }
  warn_drops(s, &drops);
  cnsm_debug("flush of %zu functions to %s: %s", list.count, s->endpoint,
             rc == 0 ? "acknowledged" : "failed, kept for the next try");
  return rc;
}

/* Sends frozen batches, then every delta, batch by batch, before
 * deadline_ns (CLOCK_MONOTONIC); everything: see cnsm_collect.  Flush lock
 * held.  0 when all acknowledged, else -1.  A receiver learns what the
 * runtime can send only from its answer: when the answers of this flush
 * first asked for extensions, what they ask for follows at once in a
 * round of its own (zero deltas with their histograms and source
 * locations), so a process that flushes once still sends them. */
static int send_all(uint64_t deadline_ns, int everything) {
  struct sink s;
  if (sink_settings(&s) != 0)
    return -1;
  spool_load_due(&s);
  if (resend_frozen(&s, deadline_ns) != 0)
    return -1;
  cnsm_known_load(s.spool_dir, s.endpoint, s.key);
  int remembered;
  unsigned extensions = extensions_to_send(&s, &remembered);
  int rc = send_round(&s, everything, extensions, remembered, deadline_ns);
  if (rc == 1) /* refused with them: sent again plain, and asked anew */
    rc = send_round(&s, everything, extensions = 0, 0, deadline_ns);
  unsigned asked = extensions_of(&s);
  if (rc == 0 && (asked & ~extensions))
    rc = send_round(&s, everything, asked, 0, deadline_ns);
  if (cnsm_http_answered(s.endpoint)) /* never a file:// sink */
    cnsm_known_note_extensions(asked);
  cnsm_known_save();
  /* The probes the last answer listed (probe.c). */
  const struct cnsm_probe_order *orders;
  long probes = cnsm_http_take_probes(&orders);
  if (probes >= 0)
    cnsm_probes_apply(orders, (size_t)probes);
  return rc;
}

/* What spool_rest writes of what is still unacknowledged. */
enum rest {
  /* Flush lock held: every delta, the spooled ones of the files this
   * process claimed too (which are then unlinked), with the extensions;
   * the frozen batches are given back (their files already hold them). */
  REST_ALL,
  /* A send still runs in the flusher thread: this process's own deltas
   * only, without extensions (that send may still deliver them); the
   * claimed files keep their deltas for a later process to re-claim once
   * this pid is gone. */
  REST_OWN,
  /* At exit with a live file, which holds every count not acknowledged
   * for the next process, but not the histograms, callers and causes
   * waiting with them: those, with zero counts.  Flush lock held. */
  REST_EXTENSIONS
};

/* Writes the rest to the spool, as what says. */
static void spool_rest(enum rest what) {
  struct sink s;
  if (sink_settings(&s) != 0)
    return;
  if (what == REST_ALL)
    cnsm_frozen_unclaim_all();
  struct cnsm_delta_list list = {0}; /* own storage: may run unlocked */
  if (cnsm_collect(&list, 1, what == REST_OWN ? 0 : CNSM_EXT_ALL) != 0)
    return;
  size_t n = 0;
  for (size_t i = 0; i < list.count; i++) {
    struct cnsm_delta d = list.items[i];
    if (what == REST_OWN) {
      d.pend_calls = d.pend_errors = d.pend_ns = 0;
      if (!d.calls && !d.errors && !d.ns && d.announced)
        continue;
    } else if (what == REST_EXTENSIONS) {
      if (!d.hist_n && !d.causes_n && !d.callers_n)
        continue;
      d.calls = d.errors = d.ns = d.pend_calls = d.pend_errors = d.pend_ns = 0;
      d.file = NULL;
    }
    list.items[n++] = d;
  }
  if (n && cnsm_spool_write(s.spool_dir, s.endpoint, s.key, list.items, n,
                            what == REST_ALL) != 0)
    cnsm_warn("could not spool %zu functions to %s", n, s.spool_dir);
  cnsm_delta_list_free(&list);
}

/* How often a process whose fork children hand it their figures looks
 * for them between its flushes: each is a file in the spool until it is
 * taken over, and a PostgreSQL postmaster at 56 connections a second had
 * some 800 of them (300 MB) waiting for its next flush. */
#define HANDOFF_POLL_NS 1000000000ull

/* Takes over the files fork children handed us (spool_load_due): their
 * figures wait in the table, the live file, for the next flush. */
static void take_handed_files(void) {
  struct sink s;
  if (sink_settings(&s) != 0)
    return;
  pthread_mutex_lock(&flush_lock);
  spool_load_due(&s);
  pthread_mutex_unlock(&flush_lock);
}

/* The background thread's body. */
static void *flusher_main(void *arg) {
  (void)arg;
  struct sink s;
  /* Earlier processes' deltas go out at once.  The flush lock is taken only
   * when there are some: a short process must not wait at exit for this
   * thread to be scheduled and look at an empty spool. */
  if (sink_settings(&s) == 0) {
    /* Our fork children hand us their figures (handoff.c) when we send
     * over http; to a file sink each writes its own line.  Not once we
     * are stopping (exit, shutdown, seal): nothing would load them. */
    pthread_mutex_lock(&thread_lock);
    if (!stopping)
      cnsm_handoff_take(!cnsm_file_path(s.endpoint), sink_identity(&s));
    pthread_mutex_unlock(&thread_lock);
    if (cnsm_spool_has_files(s.spool_dir, s.endpoint, s.key)) {
      pthread_mutex_lock(&flush_lock);
      if (spool_load_due(&s) > 0)
        send_all(cnsm_now_ns() + SEND_TIMEOUT_NS, 0);
      pthread_mutex_unlock(&flush_lock);
    }
  }
  pthread_mutex_lock(&thread_lock);
  uint64_t flush_at =
      cnsm_now_ns() + seconds_ns(cnsm_config_current().flush_interval_s);
  while (!stopping) {
    uint64_t now = cnsm_now_ns(), wake_at = flush_at;
    if (__atomic_load_n(&forked, __ATOMIC_RELAXED) && cnsm_handoff_taking() &&
        now + HANDOFF_POLL_NS < flush_at)
      wake_at = now + HANDOFF_POLL_NS;
    struct timespec ts = realtime_at(wake_at);
    pthread_cond_timedwait(&wake, &thread_lock, &ts);
    if (stopping)
      break;
    if (cnsm_now_ns() < wake_at)
      continue; /* woken early: our first fork (fork_parent), or spuriously */
    cnsm_handoff_beat();
    if (wake_at < flush_at) {
      if (cnsm_handoff_arrived()) {
        pthread_mutex_unlock(&thread_lock);
        take_handed_files();
        pthread_mutex_lock(&thread_lock);
      }
      continue;
    }
    flush_at =
        cnsm_now_ns() + seconds_ns(cnsm_config_current().flush_interval_s);
    pthread_mutex_unlock(&thread_lock);
    pthread_mutex_lock(&flush_lock);
    send_all(cnsm_now_ns() + SEND_TIMEOUT_NS, 0);
    pthread_mutex_unlock(&flush_lock);
    pthread_mutex_lock(&thread_lock);
  }
  running = 0;
  pthread_cond_broadcast(&wake);
  pthread_mutex_unlock(&thread_lock);
  return NULL;
}

/* Fork child: the parent's thread and locks are not ours. */
static void fork_child(void) {
  /* The parent's list, leaked on purpose: its flusher thread may have
   * been between cnsm_collect's realloc and storing the new pointer here,
   * and the child's exit flush reallocated memory already freed
   * (PostgreSQL's checkpointer and startup process died so, 2 starts in
   * 13). */
  pending = (struct cnsm_delta_list){0};
  pthread_mutex_init(&flush_lock, NULL);
  pthread_mutex_init(&thread_lock, NULL);
  pthread_cond_init(&wake, NULL);
  started = running = stopping = forked = 0;
  spool_checked = 1; /* the spool is the parent's */
}

/* After our first fork: the flusher, asleep until its next flush, looks
 * for the children's files from now on (HANDOFF_POLL_NS).  Without the
 * thread's lock (a fork handler waits for no thread): a flusher about to
 * sleep misses it, and takes them at that flush. */
static void fork_parent(void) {
  if (!__atomic_exchange_n(&forked, 1, __ATOMIC_RELAXED))
    pthread_cond_broadcast(&wake);
}

/* Its own handlers, and first those of the layers it sends through, whose
 * state the flusher thread makes (cnsm_flusher_init_once says why now). */
static void install_fork_handlers(void) {
  cnsm_http_init_once();
  cnsm_encode_init_once();
  cnsm_spool_init_once();
  cnsm_batch_init_once();
  cnsm_handoff_init_once();
  pthread_atfork(NULL, fork_parent, fork_child);
}

void cnsm_flusher_init_once(void) {
  pthread_once(&fork_once, install_fork_handlers);
}

/* An http(s) endpoint's library, loaded before the thread that sends to
 * it exists (sink_http.c says why); not under thread_lock, which a
 * constructor the load runs may reach again.  A configured endpoint is a
 * file:// one or an http(s) one (config.c refuses the rest). */
static void load_http_sink(void) {
  struct cnsm_config c = cnsm_config_current();
  if (!c.disable && c.endpoint && !cnsm_file_path(c.endpoint))
    cnsm_http_load();
}

/* Starts the thread once, if there is a sink and no shutdown. */
void cnsm_flusher_maybe_start(void) {
  cnsm_flusher_init_once();
  if (cnsm_sealed() || __atomic_load_n(&started, __ATOMIC_ACQUIRE) ||
      !__atomic_load_n(&cnsm_sink_wanted, __ATOMIC_ACQUIRE))
    return;
  load_http_sink();
  pthread_mutex_lock(&thread_lock);
  if (!started && !finished) {
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    if (pthread_create(&flusher, NULL, flusher_main, NULL) == 0) {
      running = 1;
      __atomic_store_n(&started, 1, __ATOMIC_RELEASE);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
  }
  pthread_mutex_unlock(&thread_lock);
}

/* Asks the thread to stop and waits for it until deadline. */
static void flusher_stop(uint64_t deadline_ns) {
  pthread_mutex_lock(&thread_lock);
  stopping = 1;
  pthread_cond_broadcast(&wake);
  struct timespec ts = realtime_at(deadline_ns);
  while (running && pthread_cond_timedwait(&wake, &thread_lock, &ts) == 0)
    ;
  int joinable = started && !running;
  int detach = started && running;
  started = 1; /* never again in this process */
  pthread_mutex_unlock(&thread_lock);
  if (joinable)
    pthread_join(flusher, NULL);
  else if (detach)
    pthread_detach(flusher);
}

/* Frees what senders keep between flushes (the delta list, the encoder's
 * heads and body): after codensm_shutdown only a codensm_flush sends, and
 * it builds them anew.  At exit the process's end frees them.  Flush lock
 * held. */
static void release_senders_memory(void) {
  cnsm_delta_list_free(&pending);
  cnsm_encode_release();
}

/* Exit after codensm_shutdown: the live file goes if nothing was counted
 * since (else it holds those calls for the next process). */
static void drop_live_file_if_done(void) {
  if (!cnsm_durable_active() || pthread_mutex_trylock(&flush_lock) != 0)
    return;
  struct cnsm_delta_list list = {0};
  if (cnsm_collect(&list, 1, 0) == 0 && list.count == 0)
    cnsm_durable_finish(1);
  cnsm_delta_list_free(&list);
  pthread_mutex_unlock(&flush_lock);
}

/* A fork child's exit: its figures go to its parent, which sends them
 * merged with its own (handoff.c), when it is alive, sends over http and
 * takes them.  1 when they went.  Flush lock held. */
static int hand_off_to_parent(void) {
  struct sink s;
  if (sink_settings(&s) != 0 || cnsm_file_path(s.endpoint) ||
      !cnsm_handoff_begin(sink_identity(&s), beat_within_ns()))
    return 0;
  struct cnsm_delta_list list = {0};
  int handed =
      cnsm_collect(&list, 1, CNSM_EXT_ALL) == 0 &&
      (list.count == 0 || cnsm_spool_hand_off(s.spool_dir, s.endpoint, s.key,
                                              list.items, list.count) == 0);
  /* Something for the parent to load: figures, frozen batches, or files
   * our own children handed us (its load takes every file of the sink:
   * they would wait for its rescan, a minute). */
  int loadable =
      handed && (list.count || cnsm_frozen_first() || cnsm_handoff_arrived());
  cnsm_delta_list_free(&list);
  if (handed) {
    cnsm_frozen_unclaim_all(); /* their files: the parent loads them */
    cnsm_durable_finish(1);    /* its figures are in the file handed */
  }
  cnsm_handoff_end(loadable);
  return handed;
}

/* The final send of shutdown and exit: what fails is spooled.  At exit the
 * thread is only told to stop, not waited for: it is idle or holds the
 * flush lock (which we wait for anyway), and waiting for it to be scheduled
 * cost short processes a millisecond on a busy machine.  codensm_shutdown()
 * waits, since the process goes on. */
void cnsm_flusher_finish(int at_exit) {
  if (cnsm_sealed())
    return; /* the live file keeps it all for the next process */
  cnsm_flusher_init_once();
  pthread_mutex_lock(&thread_lock);
  int already = finished;
  finished = 1;
  pthread_mutex_unlock(&thread_lock);
  if (already) {
    if (at_exit)
      drop_live_file_if_done();
    return;
  }
  uint64_t stop_by =
      cnsm_now_ns() + seconds_ns(cnsm_config_current().exit_timeout_s);
  flusher_stop(at_exit ? cnsm_now_ns() : stop_by);
  /* Our children's figures: in files the send below loads, or theirs to
   * send.  The wait for children writing is not the send's time. */
  cnsm_handoff_close();
  uint64_t deadline =
      cnsm_now_ns() + seconds_ns(cnsm_config_current().exit_timeout_s);
  if (!__atomic_load_n(&cnsm_sink_wanted, __ATOMIC_ACQUIRE))
    return;
  if (lock_until(&flush_lock, deadline) == 0) {
    if (at_exit && hand_off_to_parent()) {
      pthread_mutex_unlock(&flush_lock);
      return;
    }
    int sent = send_all(deadline, 1);
    /* Children's figures handed during that send, or (without a live
     * file, spool_load_due) while earlier ones were unacknowledged. */
    if (sent == 0 && cnsm_handoff_arrived())
      sent = send_all(deadline, 1);
    if (sent == 0) {
      if (at_exit) /* everything acknowledged: nothing for a next process */
        cnsm_durable_finish(1);
    } else if (cnsm_durable_active()) {
      /* The live file holds every count not acknowledged: the next
       * process takes it over.  Frozen batches wait in their own files. */
      cnsm_frozen_unclaim_all();
      if (at_exit)
        spool_rest(REST_EXTENSIONS);
    } else {
      spool_rest(REST_ALL);
    }
    if (!at_exit) /* the process goes on without a flusher */
      release_senders_memory();
    pthread_mutex_unlock(&flush_lock);
  } else if (!cnsm_durable_active()) {
    cnsm_debug("a send is still running at exit; spooling");
    spool_rest(REST_OWN);
  } /* else the live file and its batch in flight are the next process's */
}

/* Whether the seal found the flusher finished already (codensm_shutdown,
 * exit): an unseal must not start it again. */
static int finished_before_seal;

/* The program is about to confine itself (sandbox.c): the thread stops
 * for good, a send running cut short and waited for, and nothing is sent
 * again in this process unless the confining call fails. */
void cnsm_flusher_seal(void) {
  cnsm_flusher_init_once();
  pthread_mutex_lock(&thread_lock);
  finished_before_seal = finished;
  finished = 1;
  pthread_mutex_unlock(&thread_lock);
  cnsm_http_cut(1); /* a send running ends within a second */
  flusher_stop(cnsm_now_ns() + SEND_TIMEOUT_NS);
  cnsm_handoff_take(0, 0); /* nothing sent: children send their own */
}

/* The call to confine the program failed (sandbox.c): a stopped thread may
 * start again; one that would not stop still runs. */
void cnsm_flusher_unseal(void) {
  cnsm_http_cut(0);
  pthread_mutex_lock(&thread_lock);
  int again = !running && !finished_before_seal;
  if (again)
    started = stopping = finished = 0;
  else if (!finished_before_seal && running)
    finished = 0; /* it would not stop: the exit's final send still runs */
  pthread_mutex_unlock(&thread_lock);
  if (again)
    cnsm_flusher_maybe_start();
}

/* codensm_flush: sends every delta now. */
int cnsm_flusher_flush(void) {
  if (cnsm_sealed())
    return -1;
  cnsm_flusher_init_once();
  uint64_t deadline = cnsm_now_ns() + SEND_TIMEOUT_NS;
  if (lock_until(&flush_lock, deadline) != 0)
    return -1;
  int rc = send_all(deadline, 1);
  pthread_mutex_unlock(&flush_lock);
  return rc;
}
