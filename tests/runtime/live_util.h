/* SPDX-License-Identifier: Apache-2.0
 *
 * live_util.h - where the runtime's C tests find this process's live file,
 * to read it as the next process would (durable.c, live_read.c), and what
 * a take-over of one left pending in the table (spool.c).
 */
#ifndef CNSM_LIVE_UTIL_H
#define CNSM_LIVE_UTIL_H

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include "internal.h"
#include "test_util.h"

/* The path of this process's live file for spool_dir. */
static inline void own_live_path(const char *spool_dir, char *path,
                                 size_t len) {
  char dir[4096];
  CHECK(cnsm_live_dir(spool_dir, dir, sizeof dir) == 0);
  snprintf(path, len, "%s/%s", dir, cnsm_durable_name());
}

/* This process's live file for spool_dir, opened to read, and its *st. */
static inline int open_own_live(const char *spool_dir, struct stat *st) {
  char path[8300];
  own_live_path(spool_dir, path, sizeof path);
  int fd = open(path, O_RDONLY);
  CHECK(fd >= 0 && fstat(fd, st) == 0);
  return fd;
}

/* The table entry of name, made when new; SIZE_MAX without memory. */
static inline size_t entry_of(const char *name) {
  pthread_mutex_lock(&cnsm_registry_lock);
  size_t i = cnsm_fn_intern(name, "", 0);
  pthread_mutex_unlock(&cnsm_registry_lock);
  return i;
}

/* The calls of entry i loaded from spool or live files and not yet
 * acknowledged. */
static inline uint64_t pending_calls(size_t i) {
  pthread_mutex_lock(&cnsm_registry_lock);
  uint64_t calls = cnsm_fns[i].pend_calls;
  pthread_mutex_unlock(&cnsm_registry_lock);
  return calls;
}

#endif
