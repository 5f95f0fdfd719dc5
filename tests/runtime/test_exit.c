/* SPDX-License-Identifier: Apache-2.0
 *
 * test_exit.c - what happens at process exit, in a child process started
 * with a given environment:
 *
 *   - the exit flush runs after the module destructors and loses nothing
 *     (the calls made after the last flush, and those made by a later
 *     destructor after the module unregistered, arrive);
 *   - CODENSM_REPORT=1 prints the table on stderr;
 *   - CODENSM_DISABLE=1 sends nothing;
 *   - no endpoint and no key: nothing sent, said once under CODENSM_DEBUG.
 *
 * Built twice: against libcodensm.so and libcodensm.a (where the runtime's
 * destructor priority, not ELF order, puts the final flush last).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include "cnsm_emul.h"
#include "codensm.h"
#include "test_util.h"

extern char **environ;

static const struct cnsm_function_info mod_fns[] = {
    CNSM_FN("exit.work", "ops", 5),
};
CNSM_EMUL_MODULE(mod, "exit", 1)

/* An instrumented function. */
static __attribute__((noinline)) void work(void) {
  uint64_t t0 = CNSM_ENTER(mod, 0);
  CNSM_EXIT(mod, 0, t0, 0);
}

/* Runs after the module's destructor (priority 200 < default): its calls
 * re-register the module and must still be sent. */
__attribute__((destructor(200))) static void late_destructor(void) {
  if (getenv("TEST_EXIT_CHILD"))
    for (int i = 0; i < 3; i++)
      work();
}

/* Runs this program as the child with extra environment; stderr to err. */
static int spawn_child(char *const *extra, const char *err) {
  char *env[64];
  int n = 0;
  for (char **e = environ; *e && n < 40; e++)
    if (strncmp(*e, "CODENSM_", 8) != 0)
      env[n++] = *e;
  env[n++] = "TEST_EXIT_CHILD=1";
  for (; *extra; extra++)
    env[n++] = *extra;
  env[n] = NULL;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  char *argv[] = {"/proc/self/exe", NULL};
  pid_t pid;
  if (posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, env) != 0)
    return -1;
  posix_spawn_file_actions_destroy(&fa);
  int status;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Reads a small file into a static buffer. */
static const char *slurp(const char *path) {
  static char buf[16384];
  FILE *f = fopen(path, "r");
  size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
  buf[n] = '\0';
  if (f)
    fclose(f);
  return buf;
}

int main(void) {
  if (getenv("TEST_EXIT_CHILD")) {
    for (int i = 0; i < 1000; i++)
      work();
    return 0; /* exit: destructors, then the final flush */
  }
  const char *out = test_path("exit.jsonl");
  const char *err = test_path("exit.err");
  char ep[4500], spool[4500];
  snprintf(ep, sizeof ep, "CODENSM_ENDPOINT=%s", test_file_url(out));
  snprintf(spool, sizeof spool, "CODENSM_SPOOL_DIR=%s",
           test_path("exit.spool"));

  char *report[] = {ep, spool, "CODENSM_REPORT=1", NULL};
  CHECK_EQ(spawn_child(report, err), 0);
  struct fn_sum s;
  CHECK(sum_jsonl(out, "exit.work", &s) > 0);
  CHECK_EQ(s.calls, 1003);
  CHECK_EQ(s.weight, 5);
  const char *text = slurp(err);
  CHECK(strstr(text, "function") && strstr(text, "total ms"));
  CHECK(strstr(text, "exit.work") && strstr(text, "1003"));
  unlink(out);

  char *disabled[] = {ep, spool, "CODENSM_DISABLE=1", NULL};
  CHECK_EQ(spawn_child(disabled, err), 0);
  CHECK(access(out, F_OK) != 0);

  char *nothing[] = {spool, "CODENSM_DEBUG=1", NULL};
  CHECK_EQ(spawn_child(nothing, err), 0);
  text = slurp(err);
  const char *say = "counting only, sending nothing";
  CHECK(strstr(text, say) != NULL);
  CHECK(strstr(text, say) == NULL ||
        strstr(strstr(text, say) + 1, say) == NULL);
  unlink(err);
  TEST_DONE();
}
