/* SPDX-License-Identifier: Apache-2.0
 *
 * test_fork_first_send.c - a program with an http:// endpoint that forks
 * soon after it starts, while the runtime's first send may be under way:
 * every child runs and exits as it would without CodeNSM.
 *
 * The flusher thread used to load libcurl at its first send.  A fork in
 * the program's thread at that moment gave the child a dynamic loader, a
 * libcurl and glibc's locks half way through, and the child's own first
 * send aborted in ld.so ("Inconsistency detected by ld.so: dl-open.c"),
 * crashed in curl_global_init, or hung: nginx's master died at start
 * (sink_http.c).  Here the runs of 0 to 14 ms before the fork cover the
 * first send: the spool that each run leaves (the endpoint is a closed
 * port) makes the next run's first send start at once, and the 50 ms
 * flush interval starts one in the others.  Before the fix, 19 or 20 of
 * the 45 children died or hung.
 *
 *   test_fork_first_send            runs the 45 programs, checks them
 *   test_fork_first_send one DELAY  one program: forks after DELAY us
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "app_work.h"
#include "codensm.h"
#include "test_util.h"

/* Waits for pid at most seconds; its status, or -1 (then killed). */
static int wait_bounded(pid_t pid, int seconds) {
  int status;
  for (int i = 0; i < seconds * 100; i++) {
    if (waitpid(pid, &status, WNOHANG) == pid)
      return status;
    usleep(10000);
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return -1;
}

/* One program: counts, forks after delay_us, the child counts and exits
 * after its own flusher's first send; 0 when the child exited 0. */
static int one(int delay_us) {
  work(1);
  usleep((useconds_t)delay_us);
  pid_t pid = fork();
  if (pid == 0) {
    work(2);
    usleep(150000); /* past the child's first flush (50 ms) */
    exit(0);
  }
  int status = wait_bounded(pid, 10);
  if (status == -1)
    fprintf(stderr, "child hung after a fork at %d us\n", delay_us);
  else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    fprintf(stderr, "child ended with status %#x after a fork at %d us\n",
            status, delay_us);
  return status == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "one") == 0)
    return one(atoi(argv[2]));
  const char *spool = test_path("fork-first-send-spool");
  setenv("CODENSM_ENDPOINT", "http://127.0.0.1:1/codensm/ingest", 1);
  setenv("CODENSM_API_KEY", "cnsm_test", 1);
  setenv("CODENSM_FLUSH_INTERVAL", "0.05", 1);
  setenv("CODENSM_EXIT_TIMEOUT", "1", 1);
  setenv("CODENSM_SPOOL_DIR", spool, 1);
  int failed = 0;
  for (int run = 0; run < 45; run++) {
    char delay[16];
    snprintf(delay, sizeof delay, "%d", (run % 15) * 1000);
    pid_t pid = fork();
    if (pid == 0) {
      /* Its "cannot reach" warnings are expected: the port is closed. */
      if (!freopen("/dev/null", "w", stderr))
        _exit(3);
      execl("/proc/self/exe", argv[0], "one", delay, (char *)NULL);
      _exit(4);
    }
    int status = wait_bounded(pid, 30);
    if (status != 0) {
      fprintf(stderr, "run %d (fork at %s us): status %#x\n", run, delay,
              status);
      failed++;
    }
  }
  CHECK_EQ(failed, 0);
  char rm[4200];
  snprintf(rm, sizeof rm, "rm -rf '%s'", spool);
  CHECK_EQ(system(rm), 0);
  TEST_DONE();
}
