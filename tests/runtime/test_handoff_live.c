/* SPDX-License-Identifier: Apache-2.0
 *
 * test_handoff_live.c - where a fork child's figures wait for its parent
 * (spool.c's cnsm_spool_hand_off and take_over).
 *
 * In the live directory, beside the live file they come from: in
 * /dev/shm, making and removing one file a connection costs nothing,
 * where on ext4 it cost a PostgreSQL backend's exit 1.1 ms.  The next
 * take-over of the spool loads them from there, once, and the file goes
 * with their acknowledgement.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <string.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "live_util.h"
#include "test_util.h"

#define ENDPOINT "http://127.0.0.1:9/ingest"
#define KEY "key"

static const char *spool_dir;

/* Deltas files (named, claimed or not) of dir. */
static int deltas_files(const char *dir) {
  DIR *d = opendir(dir);
  int n = 0;
  struct dirent *ent;
  while (d && (ent = readdir(d)))
    n += ent->d_name[0] != '.' && strstr(ent->d_name, ".json") != NULL;
  if (d)
    closedir(d);
  return n;
}

/* A fork child's exit: its 7 calls of app.handed, handed over. */
static void child(const char sink[65]) {
  if (cnsm_durable_open(spool_dir, sink) != 0)
    _exit(2);
  size_t i = entry_of("app.handed");
  pthread_mutex_lock(&cnsm_registry_lock);
  cnsm_pend_add(i, 7, 2, 1000);
  pthread_mutex_unlock(&cnsm_registry_lock);
  struct cnsm_delta_list list = {0};
  int rc = cnsm_collect(&list, 1, CNSM_EXT_ALL) == 0 && list.count == 1
               ? cnsm_spool_hand_off(spool_dir, ENDPOINT, KEY, list.items,
                                     list.count)
               : -1;
  cnsm_delta_list_free(&list);
  if (rc != 0)
    _exit(3);
  cnsm_durable_finish(1); /* its figures are in the file handed */
  _exit(0);
}

int main(void) {
  struct statfs fs;
  if (statfs("/dev/shm", &fs) != 0 || fs.f_type != 0x01021994) {
    fprintf(stderr, "/dev/shm is not a tmpfs: the live directory is the "
                    "spool, and this test has nothing to tell apart\n");
    return 1;
  }
  spool_dir = test_path("spool-handoff-live");
  char sink[65], live_dir[4096];
  cnsm_sink_hash(ENDPOINT, KEY, sink);
  cnsm_mkdirs(spool_dir);
  CHECK(cnsm_live_dir(spool_dir, live_dir, sizeof live_dir) == 0);
  CHECK(strcmp(live_dir, spool_dir) != 0);

  pid_t pid = fork();
  if (pid == 0)
    child(sink);
  int status = 0;
  CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK_EQ(deltas_files(live_dir), 1);
  CHECK_EQ(deltas_files(spool_dir), 0);

  /* The parent's take-over loads it from there. */
  CHECK(cnsm_durable_open(spool_dir, sink) == 0);
  CHECK(cnsm_spool_load(spool_dir, ENDPOINT, KEY) >= 1);
  size_t i = entry_of("app.handed");
  CHECK(i != SIZE_MAX);
  CHECK_EQ(pending_calls(i), 7);
  cnsm_spool_load(spool_dir, ENDPOINT, KEY); /* claimed: not again */
  CHECK_EQ(pending_calls(i), 7);

  /* Sent and acknowledged: the file goes with them. */
  struct cnsm_delta_list list = {0};
  CHECK(cnsm_collect(&list, 1, 0) == 0);
  CHECK(cnsm_acknowledge(list.items, list.count));
  cnsm_spool_release();
  cnsm_delta_list_free(&list);
  CHECK_EQ(pending_calls(i), 0);
  CHECK_EQ(deltas_files(live_dir), 0);
  cnsm_durable_finish(1);
  TEST_DONE();
}
