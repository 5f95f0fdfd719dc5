/* SPDX-License-Identifier: Apache-2.0
 *
 * test_fork_announce.c - who announces a function a fork child inherited
 * (table.c's cnsm_fn_inherit_all, snapshot.c's collect).
 *
 * The parent announces its functions and their source, as it would have
 * had it not forked; the child announces only the functions it made
 * after the fork.  It says so once for all the inherited entries rather
 * than writing into each, which copied every page of the table from a
 * parent that had not flushed yet.
 */
#define _GNU_SOURCE
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "test_util.h"

static size_t intern(const char *name, uint32_t line) {
  pthread_mutex_lock(&cnsm_registry_lock);
  size_t i = cnsm_fn_intern(name, "", 0);
  if (i != SIZE_MAX)
    cnsm_fn_set_source(i, "app.c", line);
  pthread_mutex_unlock(&cnsm_registry_lock);
  CHECK(i != SIZE_MAX);
  return i;
}

/* The rows a collect lists, by name: 1 when name is listed with its file. */
static int listed(const char *name) {
  struct cnsm_delta_list list = {0};
  CHECK(cnsm_collect(&list, 1, CNSM_EXT_SOURCE) == 0);
  int found = 0;
  for (size_t k = 0; k < list.count; k++)
    if (strcmp(list.items[k].name, name) == 0)
      found = list.items[k].file && strcmp(list.items[k].file, "app.c") == 0;
  cnsm_delta_list_free(&list);
  return found;
}

static void in_child(size_t inherited) {
  /* Not written into the entry, which stays its parent's page. */
  CHECK_EQ(cnsm_fns[inherited].announced, 0);
  CHECK_EQ(cnsm_fns[inherited].source_sent, 0);
  pthread_mutex_lock(&cnsm_registry_lock);
  CHECK(cnsm_fn_announced(inherited));
  CHECK(cnsm_fn_source_sent(inherited));
  pthread_mutex_unlock(&cnsm_registry_lock);
  CHECK(!listed("app.before_fork"));

  size_t made = intern("app.after_fork", 20);
  pthread_mutex_lock(&cnsm_registry_lock);
  CHECK(!cnsm_fn_announced(made));
  pthread_mutex_unlock(&cnsm_registry_lock);
  CHECK(listed("app.after_fork"));
}

int main(void) {
  cnsm_config_ensure(); /* CODENSM_ENDPOINT, from CMakeLists.txt */
  CHECK(cnsm_config_told());
  cnsm_snapshot_init_once(); /* the fork handlers */
  size_t inherited = intern("app.before_fork", 10);

  fflush(stderr);
  pid_t pid = fork();
  if (pid == 0) {
    in_child(inherited);
    _exit(test_failures ? 1 : 0);
  }
  int status = 0;
  CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  /* The parent still has it to announce. */
  CHECK(listed("app.before_fork"));
  TEST_DONE();
}
