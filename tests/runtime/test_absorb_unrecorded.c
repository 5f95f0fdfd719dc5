/* SPDX-License-Identifier: Apache-2.0
 *
 * test_absorb_unrecorded.c - a take-over that loads a dead process's live
 * file and cannot record it as taken (spool.c's take_over, when the live
 * file cannot grow for its NAMES block).
 *
 * Its figures are pending in this process, and the file must not be read
 * again: not by a take-over while they wait, and not once they are
 * acknowledged, when the file goes.  Released unrecorded, the file was
 * read again by the first take-over after the figures had been sent, and
 * its calls counted twice.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "live_format.h"
#include "live_util.h"
#include "test_util.h"

#define ENDPOINT "http://127.0.0.1:9/ingest"
#define KEY "key"

static const char *spool_dir;

/* Live files in our live directory other than our own. */
static int others_live_files(void) {
  char dir[4096];
  CHECK(cnsm_live_dir(spool_dir, dir, sizeof dir) == 0);
  DIR *d = opendir(dir);
  int n = 0;
  struct dirent *ent;
  while (d && (ent = readdir(d)))
    n += strstr(ent->d_name, CNSM_LIVE_SUFFIX) &&
         strcmp(ent->d_name, cnsm_durable_name()) != 0;
  if (d)
    closedir(d);
  return n;
}

int main(void) {
  spool_dir = test_path("spool-absorb-unrecorded");
  char sink[65];
  cnsm_sink_hash(ENDPOINT, KEY, sink);

  /* A process that dies with 10 calls of app.dead pending in its file. */
  pid_t pid = fork();
  if (pid == 0) {
    if (cnsm_durable_open(spool_dir, sink) != 0)
      _exit(2);
    size_t i = entry_of("app.dead");
    pthread_mutex_lock(&cnsm_registry_lock);
    cnsm_pend_add(i, 10, 1, 1000);
    pthread_mutex_unlock(&cnsm_registry_lock);
    _exit(0); /* its live file stays, for the next process */
  }
  int status = 0;
  CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

  /* Our live file: full, and not allowed to grow. */
  if (cnsm_durable_open(spool_dir, sink) != 0) {
    fprintf(stderr, "no live file could be made\n");
    return 1;
  }
  signal(SIGXFSZ, SIG_IGN);
  char path[8300];
  own_live_path(spool_dir, path, sizeof path);
  struct stat st;
  CHECK(stat(path, &st) == 0);
  struct rlimit limit = {(rlim_t)st.st_size, (rlim_t)st.st_size};
  CHECK(setrlimit(RLIMIT_FSIZE, &limit) == 0);
  while (cnsm_durable_region(4096))
    ;
  CHECK_EQ(others_live_files(), 1);

  /* The take-over loads the dead file's figures, and cannot record it. */
  CHECK(cnsm_spool_load(spool_dir, ENDPOINT, KEY) >= 1);
  size_t i = entry_of("app.dead");
  CHECK(i != SIZE_MAX);
  CHECK_EQ(pending_calls(i), 10);
  CHECK_EQ(others_live_files(), 1);
  cnsm_spool_load(spool_dir, ENDPOINT, KEY); /* meanwhile: nothing again */
  CHECK_EQ(pending_calls(i), 10);

  /* They are sent and acknowledged: the file goes with them. */
  struct cnsm_delta_list list = {0};
  CHECK(cnsm_collect(&list, 1, 0) == 0);
  uint64_t sent = 0;
  for (size_t k = 0; k < list.count; k++)
    if (list.items[k].index == i)
      sent += list.items[k].pend_calls;
  CHECK_EQ(sent, 10);
  if (cnsm_acknowledge(list.items, list.count))
    cnsm_spool_release();
  cnsm_delta_list_free(&list);
  CHECK_EQ(pending_calls(i), 0);
  CHECK_EQ(others_live_files(), 0);

  /* The next take-over finds nothing of it to take again. */
  cnsm_spool_load(spool_dir, ENDPOINT, KEY);
  CHECK_EQ(pending_calls(i), 0);
  cnsm_durable_finish(1);
  TEST_DONE();
}
