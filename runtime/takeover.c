/* SPDX-License-Identifier: Apache-2.0
 *
 * takeover.c - finding the live files of processes that are gone.
 *
 * A live file (durable.c) is held with flock by its process while it runs;
 * the kernel lets go of the lock however the process ends (a kill, a
 * crash, an exec), so a live file whose lock can be taken is a dead
 * process's.  The taker keeps the lock until it has taken the file's
 * figures over and removed it: two processes never take the same file.
 * Only regular files of at most CNSM_LIVE_FILE_MAX bytes are opened, never
 * blocking; anything else is set aside by the caller (spool.c).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "live_format.h"

/* Whether name is a live file of the sink whose hash starts hash16. */
static int is_live_name(const char *name, const char *hash) {
  size_t len = strlen(name), suffix = strlen(CNSM_LIVE_SUFFIX);
  return strncmp(name, hash, 16) == 0 && name[16] == '-' && len > suffix &&
         strcmp(name + len - suffix, CNSM_LIVE_SUFFIX) == 0;
}

/* Opens, locks and maps dir/name; 0, 1 when its process still runs, -1
 * when it is not a regular file of a size a live file can have. */
static int take(const char *dir, const char *name, struct cnsm_dead *out) {
  char path[4200];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  int fd = cnsm_open_aside(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, 0);
  if (fd < 0)
    return errno == ELOOP ? -1 : 1;
  /* Held: its process runs (a file is named only once whole and held). */
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    close(fd);
    return 1;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
      (uint64_t)st.st_size > CNSM_LIVE_FILE_MAX ||
      (uint64_t)st.st_size < CNSM_LIVE_HEADER) {
    close(fd);
    return -1;
  }
  void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (map == MAP_FAILED) {
    close(fd);
    return 1;
  }
  *out = (struct cnsm_dead){strdup(path), fd, map, (size_t)st.st_size, 0, 0};
  if (!out->path) {
    munmap(map, out->len);
    close(fd);
    return 1;
  }
  return 0;
}

int cnsm_dead_find(const char *dir, const char *hash, struct cnsm_dead **out,
                   size_t *count, void (*set_aside)(const char *path)) {
  *out = NULL;
  *count = 0;
  DIR *d = cnsm_opendir_aside(dir);
  if (!d)
    return 0;
  const char *own = cnsm_durable_name();
  size_t cap = 0;
  struct dirent *ent;
  while ((ent = readdir(d))) {
    if (!is_live_name(ent->d_name, hash) ||
        (own && strcmp(ent->d_name, own) == 0))
      continue;
    if (*count == cap) {
      size_t grown_cap = cap ? 2 * cap : 8;
      struct cnsm_dead *grown = realloc(*out, grown_cap * sizeof *grown);
      if (!grown)
        break;
      *out = grown;
      cap = grown_cap;
    }
    int rc = take(dir, ent->d_name, &(*out)[*count]);
    if (rc == 0)
      (*count)++;
    else if (rc < 0) {
      char path[4200];
      snprintf(path, sizeof path, "%s/%s", dir, ent->d_name);
      set_aside(path);
    }
  }
  closedir(d);
  return 0;
}

void cnsm_dead_release(struct cnsm_dead *dead, size_t count, int remove) {
  for (size_t i = 0; i < count; i++) {
    if (remove && dead[i].taken)
      unlink(dead[i].path); /* before the lock goes: nobody takes it again */
    munmap(dead[i].map, dead[i].len);
    close(dead[i].fd);
    free(dead[i].path);
  }
  free(dead);
}
