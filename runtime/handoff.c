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
 * handler): the parent says whether it takes children's figures, a child
 * says it is writing them, and how many were handed over.  The parent
 * stops taking them before its own final flush and waits for the writers
 * (at most HANDOFF_WAIT_NS), so a child's figures are either in a file
 * its parent's final flush loads or sent by the child itself.  A child of
 * a parent that is gone (getppid() changed) sends them itself; a parent
 * that was killed leaves its page saying "taking", which getppid() then
 * overrules.
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
};

static struct handoff_page *own;    /* for our children */
static struct handoff_page *parent; /* our parent's, in a fork child */
static pid_t parent_pid;
static uint64_t handed_seen; /* own->handed when the spool was last loaded */

/* How long a parent's final flush waits for children writing. */
#define HANDOFF_WAIT_NS (1000ull * 1000000ull)

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
  parent_pid = getppid();
  own = new_page();
  handed_seen = 0;
}

static void init(void) {
  own = new_page();
  pthread_atfork(NULL, NULL, fork_child);
}

void cnsm_handoff_init_once(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, init);
}

void cnsm_handoff_take(int taking) {
  if (own)
    __atomic_store_n(&own->taking, taking ? 1u : 0u, __ATOMIC_SEQ_CST);
}

void cnsm_handoff_close(void) {
  if (!own)
    return;
  __atomic_store_n(&own->taking, 0, __ATOMIC_SEQ_CST);
  uint64_t deadline = cnsm_now_ns() + HANDOFF_WAIT_NS;
  struct timespec tick = {0, 1000000}; /* a file takes milliseconds */
  while (__atomic_load_n(&own->writing, __ATOMIC_SEQ_CST) &&
         cnsm_now_ns() < deadline)
    nanosleep(&tick, NULL);
}

int cnsm_handoff_arrived(void) {
  return own && __atomic_load_n(&own->handed, __ATOMIC_ACQUIRE) != handed_seen;
}

void cnsm_handoff_seen(void) {
  if (own)
    handed_seen = __atomic_load_n(&own->handed, __ATOMIC_ACQUIRE);
}

int cnsm_handoff_parent_takes(void) {
  return parent && getppid() == parent_pid &&
         __atomic_load_n(&parent->taking, __ATOMIC_SEQ_CST);
}

int cnsm_handoff_begin(void) {
  if (!cnsm_handoff_parent_takes())
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
