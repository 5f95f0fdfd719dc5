/* SPDX-License-Identifier: Apache-2.0
 *
 * live_util.h - where the runtime's C tests find this process's live file,
 * to read it as the next process would (durable.c, live_read.c).
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

#endif
