/* SPDX-License-Identifier: Apache-2.0
 *
 * sink_file.c - file:///abs/path.jsonl: one ingest body per line.
 *
 * Each batch appends its body and a newline with a single writev() on an
 * O_APPEND descriptor, so lines of concurrent processes (a parent and its
 * forked child, say) never interleave.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "internal.h"

/* "/abs/path" of "file:///abs/path" (or "file://localhost/abs/path"). */
const char *cnsm_file_path(const char *endpoint) {
  if (!endpoint || strncmp(endpoint, "file://", 7) != 0)
    return NULL;
  const char *p = endpoint + 7;
  if (strncmp(p, "localhost/", 10) == 0)
    p += 9;
  return p[0] == '/' && p[1] ? p : NULL;
}

/* Appends body + "\n" in one write. */
int cnsm_file_send(const char *endpoint, const char *body) {
  const char *path = cnsm_file_path(endpoint);
  if (!path)
    return CNSM_FAILED;
  size_t len = strlen(body);
  struct iovec line[2] = {{(void *)body, len}, {"\n", 1}};
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) {
    cnsm_debug("cannot open %s: %s", path, strerror(errno));
    return CNSM_FAILED;
  }
  ssize_t w;
  do /* one writev on O_APPEND: a whole line or nothing interleaved */
    w = writev(fd, line, 2);
  while (w < 0 && errno == EINTR);
  int ok = w == (ssize_t)(len + 1);
  if (!ok)
    cnsm_debug("short write to %s", path);
  close(fd);
  return ok ? CNSM_SENT : CNSM_FAILED;
}
