/* SPDX-License-Identifier: Apache-2.0
 *
 * fds.c - the runtime's file descriptors, kept out of the program's way.
 *
 * open() and socket() return the lowest free number, and programs count on
 * it: a daemon that closes 3 and up, a test that frees one descriptor and
 * expects its next accept() to get it (libuv's emfile), a program that
 * expects its first open() to be 3.  The runtime opens files on its own
 * threads (the live file, spool files, the file sink, the collector's
 * socket), so each is moved at once to a number near the top of the
 * descriptor limit, where no program looks for its own: the lowest
 * numbers are the runtime's only for the instant between the open and the
 * move.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* Below the limit, so a program that opens up to its limit meets EMFILE
 * where it would without us; above 1,024 a program's select() could not
 * hold the numbers, and the kernel's table would grow for them. */
#define ASIDE_FROM_TOP 64
#define ASIDE_CEILING 1024
/* A limit this low leaves no room that is not a program's own. */
#define ASIDE_MIN_LIMIT 256

int cnsm_fd_aside(int fd) {
  if (fd < 0)
    return fd;
  struct rlimit lim;
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur < ASIDE_MIN_LIMIT)
    return fd;
  rlim_t top = lim.rlim_cur < ASIDE_CEILING ? lim.rlim_cur : ASIDE_CEILING;
  int floor = (int)(top - ASIDE_FROM_TOP);
  if (fd >= floor)
    return fd;
  int saved = errno;
  int high = fcntl(fd, F_DUPFD_CLOEXEC, floor);
  if (high < 0) { /* every high number taken: keep the low one */
    errno = saved;
    return fd;
  }
  close(fd);
  errno = saved;
  return high;
}

int cnsm_open_aside(const char *path, int flags, int mode) {
  return cnsm_fd_aside(open(path, flags | O_CLOEXEC, mode));
}

DIR *cnsm_opendir_aside(const char *path) {
  int fd = cnsm_open_aside(path, O_RDONLY | O_DIRECTORY | O_NONBLOCK, 0);
  if (fd < 0)
    return NULL;
  DIR *d = fdopendir(fd);
  if (!d) {
    int saved = errno;
    close(fd);
    errno = saved;
  }
  return d;
}

int cnsm_fd_identify(int fd, struct cnsm_file_id *id) {
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0)
    return -1;
  id->dev = (uint64_t)st.st_dev;
  id->ino = (uint64_t)st.st_ino;
  return 0;
}

int cnsm_fd_is(int fd, const struct cnsm_file_id *id) {
  struct cnsm_file_id now;
  return cnsm_fd_identify(fd, &now) == 0 && now.dev == id->dev &&
         now.ino == id->ino;
}

int cnsm_file_size_allowed(uint64_t bytes) {
  struct rlimit limit;
  return getrlimit(RLIMIT_FSIZE, &limit) != 0 ||
         limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur >= bytes;
}
