/* SPDX-License-Identifier: Apache-2.0
 *
 * test_snapshot_writes.c - a snapshot writes only the table entries whose
 * figures moved (snapshot.c's snapshot_counts).
 *
 * Until round thirty-two each snapshot reset every entry it had summed to
 * its base and added its sums again: two writes to every function ever
 * called, at every snapshot.  In a fork child, whose table shares its
 * parent's pages until one writes, that copied a page for every dozen
 * functions the parent had called, at the fork and again at the exit.
 * Here the entries of 4,000 counted functions are made read-only in a
 * fork child: a snapshot with no new call must not fault, and one after a
 * call must (the entry moved).  An entry that two modules count into
 * (units that define one inline function alike) adds both, snapshot
 * after snapshot.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cnsm_emul.h"
#include "internal.h"
#include "test_util.h"

#define N 4000

static void snapshot(void) {
  pthread_mutex_lock(&cnsm_registry_lock);
  cnsm_snapshot();
  pthread_mutex_unlock(&cnsm_registry_lock);
}

static void add_calls(struct cnsm_emul_dyn *m, uint32_t i, uint64_t calls) {
  struct cnsm_slot *s = cnsm_emul_dyn_slot(m, i);
  __atomic_store_n(&s->calls, s->calls + calls, __ATOMIC_RELAXED);
}

static const size_t *entries_of(struct cnsm_emul_dyn *m) {
  const struct cnsm_module *mod = cnsm_module_of(&m->desc);
  CHECK(mod && mod->entry);
  return mod->entry;
}

/* In a child: the pages that hold only the module's entries read-only,
 * then f(N/2) called again (call) or not, then a snapshot.  Its wait status. */
static int snapshot_read_only(struct cnsm_emul_dyn *m, int call) {
  const size_t *entry = entries_of(m);
  uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
  uintptr_t lo = (uintptr_t)&cnsm_fns[entry[0]];
  uintptr_t hi = (uintptr_t)&cnsm_fns[entry[N - 1] + 1];
  CHECK_EQ(entry[N - 1] - entry[0], N - 1); /* one run of entries */
  uintptr_t from = (lo + page - 1) & ~(page - 1), to = hi & ~(page - 1);
  CHECK(to > from);
  fflush(stderr);
  pid_t pid = fork();
  if (pid == 0) {
    signal(SIGSEGV, SIG_DFL);
    if (mprotect((void *)from, to - from, PROT_READ) != 0)
      _exit(2);
    if (call)
      add_calls(m, N / 2, 1);
    snapshot();
    _exit(0);
  }
  int status = 0;
  CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
  return status;
}

static uint64_t cur_calls(size_t i) {
  pthread_mutex_lock(&cnsm_registry_lock);
  uint64_t calls = cnsm_fns[i].cur.calls;
  pthread_mutex_unlock(&cnsm_registry_lock);
  return calls;
}

int main(void) {
  struct cnsm_emul_dyn *m = cnsm_emul_dynamic_module("snap", N);
  for (uint32_t i = 0; i < N; i++)
    add_calls(m, i, 1 + i % 3);
  snapshot();
  const size_t *entry = entries_of(m);
  CHECK_EQ(cur_calls(entry[7]), 2);

  /* Nothing moved: nothing written. */
  int status = snapshot_read_only(m, 0);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  /* A call moved f(N/2): its entry is written (the test can see a write). */
  status = snapshot_read_only(m, 1);
  CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);

  /* Two modules of one function: both counted, at every snapshot. */
  struct cnsm_emul_dyn *a = cnsm_emul_dynamic_module("both", 4);
  struct cnsm_emul_dyn *b = cnsm_emul_dynamic_module("both", 4);
  add_calls(a, 1, 2);
  add_calls(b, 1, 3);
  snapshot();
  size_t shared = entries_of(a)[1];
  CHECK_EQ(entries_of(b)[1], shared);
  CHECK_EQ(cur_calls(shared), 5);
  snapshot();
  CHECK_EQ(cur_calls(shared), 5);
  add_calls(a, 1, 2);
  snapshot();
  CHECK_EQ(cur_calls(shared), 7);
  add_calls(b, 1, 1);
  snapshot();
  CHECK_EQ(cur_calls(shared), 8);
  CHECK_EQ(cur_calls(entry[7]), 2);
  TEST_DONE();
}
