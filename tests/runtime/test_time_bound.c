/* SPDX-License-Identifier: Apache-2.0
 *
 * test_time_bound.c - no estimate exceeds the time that passed.
 *
 * A function's time is estimated from sampled calls, and a rare long call
 * timed at a long period stands for the whole period: speedtest1's
 * sqlite3VdbeExec came out at 7.5 s in a run of 0.27 s.  Whatever the
 * samples say, the total sent is at most the time since the runtime
 * started, times the threads that counted the function (snapshot.c).
 * Here each function is called once for real, then its slot is given a
 * sample worth some four days; what reaches the file sink must lie
 * between nine tenths of the time that passed and the time that passed,
 * once for a function one thread counted, twice for one two threads did,
 * and the same once the module is gone (its counts in the table's base).
 * The cut is for good: a new call after more time has passed sends its
 * own time, not what the bound let through meanwhile.  A process killed
 * after its flush leaves a live file whose figures the next process
 * sends: the same cut holds there.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cnsm_emul.h"
#include "codensm.h"
#include "internal.h"
#include "test_util.h"

static const struct cnsm_function_info mod_fns[] = {
    CNSM_FN("bound.one", "", 1),
    CNSM_FN("bound.two", "", 1),
    CNSM_FN("bound.gone", "", 1),
    CNSM_FN("bound.killed", "", 1),
};
CNSM_EMUL_MODULE(mod, "bound", 4)

/* Before the module's constructor registers it (and the runtime's clock
 * starts): the time that passed is at most the time since first_ns, and
 * at least the time since main_ns, taken in main.  Between the two a
 * loaded machine can spend milliseconds (6 ms of a 57 ms run, with
 * ctest -j6), more than the tenth the lower check allows. */
static uint64_t first_ns, main_ns;
__attribute__((constructor(101))) static void mark_first(void) {
  first_ns = cnsm_now_ns();
}

/* One real call of function i in this thread, then a sample that says
 * its 1,000 calls took 2^50 ticks (days at any clock rate). */
static void inflate(uint32_t i) {
  uint64_t t0 = CNSM_ENTER(mod, i);
  CNSM_EXIT(mod, i, t0, 0);
  struct cnsm_slot *s = cnsm_emul_slot(mod_unit, i);
  s->calls += 999;
  s->samples += 999;
  s->ticks += (uint64_t)1 << 50;
}

/* Both threads live at once, so neither adopts the other's directory
 * (a thread that starts after another ended takes over its directory,
 * and with it its timeline). */
static pthread_barrier_t both_counted;

static void *other_thread(void *arg) {
  inflate((uint32_t)(uintptr_t)arg);
  pthread_barrier_wait(&both_counted);
  return NULL;
}

/* Function i inflated by two threads living at once. */
static void two_threads(uint32_t i) {
  pthread_t t[2];
  for (int k = 0; k < 2; k++)
    CHECK_EQ(pthread_create(&t[k], NULL, other_thread, (void *)(uintptr_t)i),
             0);
  for (int k = 0; k < 2; k++)
    CHECK_EQ(pthread_join(t[k], NULL), 0);
}

/* Flushes to out; checks that function i's total grew by between 0.9 and
 * 1 times threads times the time that passed. */
static void check_bound(const char *out, uint32_t i, double threads) {
  struct fn_sum before, after;
  sum_jsonl(out, mod_fns[i].name, &before);
  usleep(50000); /* time passing, against which the bound is judged */
  double low = (double)(cnsm_now_ns() - main_ns);
  CHECK_EQ(codensm_flush(), 0);
  double high = (double)(cnsm_now_ns() - first_ns);
  sum_jsonl(out, mod_fns[i].name, &after);
  double total = after.ms * 1e6; /* since the start: what the bound bounds */
  fprintf(stderr, "%s: %.3f ms for %.0f thread(s) in %.3f to %.3f ms\n",
          mod_fns[i].name, total / 1e6, threads, low / 1e6, high / 1e6);
  CHECK(after.calls == 1000 * (uint64_t)threads);
  CHECK(total <= threads * high);
  CHECK(total >= 0.9 * threads * low);
}

/* One more real call of function i, after time passed: what reaches out
 * is that call's time, next to nothing, not the time that passed. */
static void check_cut_for_good(const char *out, uint32_t i) {
  struct fn_sum before, after;
  sum_jsonl(out, mod_fns[i].name, &before);
  usleep(50000);
  uint64_t t0 = CNSM_ENTER(mod, i);
  CNSM_EXIT(mod, i, t0, 0);
  CHECK_EQ(codensm_flush(), 0);
  sum_jsonl(out, mod_fns[i].name, &after);
  fprintf(stderr, "%s: one more call after 50 ms: +%.3f ms\n", mod_fns[i].name,
          after.ms - before.ms);
  CHECK(after.calls == before.calls + 1);
  CHECK(after.ms - before.ms < 5);
}

/* Runs this program as `self how` and waits for it; its status. */
static int run_self(const char *how) {
  pid_t pid = fork();
  if (pid == 0) {
    execl("/proc/self/exe", "test_time_bound", how, (char *)NULL);
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

int main(int argc, char **argv) {
  main_ns = cnsm_now_ns();
  /* The children's sink is the parent's, from the environment. */
  if (argc == 2 && strcmp(argv[1], "killed") == 0) {
    /* Inflated, flushed (the cut), one more call, then killed before any
     * other flush: the live file holds the rest. */
    inflate(3);
    CHECK_EQ(codensm_flush(), 0);
    usleep(50000);
    uint64_t t0 = CNSM_ENTER(mod, 3);
    CNSM_EXIT(mod, 3, t0, 0);
    raise(SIGKILL);
  }
  if (argc == 2 && strcmp(argv[1], "taker") == 0) {
    CHECK_EQ(codensm_flush(), 0); /* takes the dead file over */
    TEST_DONE();
  }
  const char *out = test_path("time_bound.jsonl");
  struct codensm_config cfg = {.struct_size = sizeof cfg,
                               .endpoint = test_file_url(out),
                               .flush_interval_s = 3600};
  unlink(out);
  /* From the environment, so that the children's live files open with
   * their modules' registration, before main. */
  setenv("CODENSM_ENDPOINT", cfg.endpoint, 1);
  codensm_init(&cfg);

  inflate(0);
  check_bound(out, 0, 1);
  check_cut_for_good(out, 0);

  /* Killed after a flush, its last call taken over by the next process:
   * what the dead process had cut is not sent again. */
  uint64_t before_kill = cnsm_now_ns();
  int status = run_self("killed");
  CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  double lived_ms = (double)(cnsm_now_ns() - before_kill) / 1e6;
  CHECK_EQ(run_self("taker"), 0);
  struct fn_sum killed;
  sum_jsonl(out, "bound.killed", &killed);
  fprintf(stderr,
          "bound.killed: %llu calls, %.3f ms, in a process of %.3f ms\n",
          (unsigned long long)killed.calls, killed.ms, lived_ms);
  CHECK(killed.calls == 1001);
  CHECK(killed.ms <= lived_ms);

  /* Two threads at once: two directories, each one thread's time. */
  CHECK_EQ(pthread_barrier_init(&both_counted, NULL, 2), 0);
  two_threads(1);
  check_bound(out, 1, 2);

  /* Gone (dlclose, exit): the module's counts and which directories
   * counted each function move to the table, and the bound with them. */
  two_threads(2);
  __codensm_unregister(&mod_desc);
  check_bound(out, 2, 2);
  unlink(out);
  TEST_DONE();
}
