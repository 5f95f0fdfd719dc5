/* SPDX-License-Identifier: Apache-2.0
 *
 * handoff.c - whether a fork child at its exit hands its figures to its
 * parent instead of sending them itself.
 *
 * A forking server with an http:// endpoint made the collector its
 * bottleneck: each PostgreSQL backend sent its own batch at its exit,
 * about 2,000 functions with their histograms, and at 25 connections a
 * second the collector's answers took 5 s and exit sends timed out.  Now
 * a child whose parent is alive and sending writes its figures to the
 * spool (spool.c, cnsm_spool_hand_off) and its parent sends them, merged
 * with its own and every other child's, at its next flush: one batch a
 * flush interval for the whole server.
 *
 * Parent and child share one page, made by the parent before it forks
 * (each process makes its own for its children, in its fork child
 * handler).  The parent says whether it takes children's figures and for
 * which sink, and beats at each wake of its flusher; a child says it is
 * writing them, and how many were handed over.  A child hands them over
 * only to a parent that is alive (getppid() is the pid that forked it),
 * takes them for the child's own sink, and beat within two flush
 * intervals: a parent that was killed, exec'd another program, stopped,
 * sealed itself or sends elsewhere would leave them in the spool for some
 * later process.  The parent stops taking them before its own final flush
 * and waits a moment for the writers, so a child's figures are in a file
 * that final flush loads, sent by the child itself, or (a child still
 * writing after the wait) in the spool for the next process.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

struct handoff_page {
  uint32_t taking;  /* the process sends, and will load what is handed */
  uint32_t writing; /* children writing their figures now */
  uint64_t handed;  /* files handed over so far */
  uint64_t sink;    /* which sink it sends to (flusher.c's identity) */
  uint64_t beat_ns; /* its flusher's last wake (CLOCK_MONOTONIC) */
};

static struct handoff_page *own;    /* for our children */
static struct handoff_page *parent; /* our parent's, in a fork child */
static pid_t self_pid, parent_pid;  /* read in the parent, not the child:
                                       it may be gone by then */
static uint64_t handed_seen; /* own->handed when the spool was last loaded */

/* How long a parent's final flush waits for children writing: a file
 * takes milliseconds, and a writer killed half way never says it is done
 * (its file, if any, waits in the spool for the next process). */
#define HANDOFF_WAIT_NS (250ull * 1000000ull)

static struct handoff_page *new_page(void) {
  void *p = mmap(NULL, sizeof(struct handoff_page), PROT_READ | PROT_WRITE,
                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

/* Fork child: the page we inherited is our parent's; ours is new. */
static void fork_child(void) {
  if (parent)
    munmap(parent, sizeof *parent); /* the grandparent's */
  parent = own;
  parent_pid = self_pid;
  self_pid = getpid();
  own = new_page();
  handed_seen = 0;
}

static void init(void) {
  own = new_page();
  self_pid = getpid();
  pthread_atfork(NULL, NULL, fork_child);
}

void cnsm_handoff_init_once(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, init);
}

void cnsm_handoff_take(int taking, uint64_t sink) {
  if (!own)
    return;
  if (taking) {
    __atomic_store_n(&own->sink, sink, __ATOMIC_SEQ_CST);
    cnsm_handoff_beat();
  }
  __atomic_store_n(&own->taking, taking ? 1u : 0u, __ATOMIC_SEQ_CST);
}

void cnsm_handoff_beat(void) {
  if (own)
    __atomic_store_n(&own->beat_ns, cnsm_now_ns(), __ATOMIC_RELEASE);
}

void cnsm_handoff_close(void) {
  if (!own)
    return;
  __atomic_store_n(&own->taking, 0, __ATOMIC_SEQ_CST);
  uint64_t deadline = cnsm_now_ns() + HANDOFF_WAIT_NS;
  struct timespec tick = {0, 1000000};
  while (__atomic_load_n(&own->writing, __ATOMIC_SEQ_CST) &&
         cnsm_now_ns() < deadline)
    nanosleep(&tick, NULL);
}

int cnsm_handoff_taking(void) {
  return own && __atomic_load_n(&own->taking, __ATOMIC_SEQ_CST);
}

int cnsm_handoff_arrived(void) {
  return own && __atomic_load_n(&own->handed, __ATOMIC_ACQUIRE) != handed_seen;
}

void cnsm_handoff_seen(void) {
  if (own)
    handed_seen = __atomic_load_n(&own->handed, __ATOMIC_ACQUIRE);
}

int cnsm_handoff_parent_takes(uint64_t sink, uint64_t within_ns) {
  if (!parent || getppid() != parent_pid ||
      !__atomic_load_n(&parent->taking, __ATOMIC_SEQ_CST) ||
      __atomic_load_n(&parent->sink, __ATOMIC_SEQ_CST) != sink)
    return 0;
  uint64_t beat = __atomic_load_n(&parent->beat_ns, __ATOMIC_ACQUIRE);
  return cnsm_now_ns() - beat <= within_ns;
}

int cnsm_handoff_begin(uint64_t sink, uint64_t within_ns) {
  if (!cnsm_handoff_parent_takes(sink, within_ns))
    return 0;
  __atomic_add_fetch(&parent->writing, 1, __ATOMIC_SEQ_CST);
  /* Its final flush may have begun meanwhile: it then waits for us only
   * if it saw us writing, and we write only if we see it taking. */
  if (__atomic_load_n(&parent->taking, __ATOMIC_SEQ_CST))
    return 1;
  __atomic_sub_fetch(&parent->writing, 1, __ATOMIC_SEQ_CST);
  return 0;
}

void cnsm_handoff_end(int handed) {
  if (handed)
    __atomic_add_fetch(&parent->handed, 1, __ATOMIC_RELEASE);
  __atomic_sub_fetch(&parent->writing, 1, __ATOMIC_SEQ_CST);
}
