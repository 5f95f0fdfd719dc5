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
  int fd = cnsm_open_aside(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0) {
    /* Said once: the user must act (a missing directory, a permission),
     * as an http endpoint's "cannot reach" is said. */
    static int said;
    if (!__atomic_exchange_n(&said, 1, __ATOMIC_RELAXED))
      cnsm_warn("cannot write the file sink %s (%s); figures are kept and "
                "spooled for the next run: check CODENSM_ENDPOINT",
                path, strerror(errno));
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

/* How far back from the end cnsm_file_has_line looks: the lines appended
 * since a process died (by others of the same file) are few. */
#define HAS_LINE_WINDOW (16u << 20)

/* Whether the file holds body as a whole line in its last
 * HAS_LINE_WINDOW bytes.  A file has no Idempotency-Key: a process that
 * died between appending a batch and recording that it did leaves the
 * batch in flight, and the next one asks this before appending it again. */
int cnsm_file_has_line(const char *endpoint, const char *body) {
  const char *path = cnsm_file_path(endpoint);
  int fd = path ? cnsm_open_aside(path, O_RDONLY | O_NONBLOCK, 0) : -1;
  if (fd < 0)
    return 0;
  size_t len = strlen(body);
  off_t end = lseek(fd, 0, SEEK_END);
  off_t from = end > (off_t)(HAS_LINE_WINDOW + len + 2)
                   ? end - (off_t)(HAS_LINE_WINDOW + len + 2)
                   : 0;
  size_t size = end > from ? (size_t)(end - from) : 0;
  char *buf = malloc(size + 2);
  int found = 0;
  if (buf && pread(fd, buf + 1, size, from) == (ssize_t)size) {
    buf[0] = from == 0 ? '\n' : '\0'; /* mid-line unless at the start */
    buf[size + 1] = '\0';
    const char *at = buf + 1;
    const char *stop = buf + 1 + size;
    while (!found && at && at < stop) {
      const char *hit = memmem(at, (size_t)(stop - at), body, len);
      found = hit && hit[-1] == '\n' && hit + len < stop && hit[len] == '\n';
      at = hit ? hit + 1 : NULL;
    }
  }
  free(buf);
  close(fd);
  return found;
}
