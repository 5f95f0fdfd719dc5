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
 *
 * A live directory in /dev/shm belongs to one spool directory (durable.c
 * links it as CNSM_LIVE_SPOOL_LINK).  When that spool directory is gone
 * (a test's temporary one, a job's, one the user removed), no process
 * will ever take its files over, and they held the memory of /dev/shm
 * until the machine restarted: 360 MB after one round of trials here.
 * cnsm_orphans_sweep removes them: what the spool directory held was
 * removed with it, and this is the rest of it.
 *
 * A spool file is written under a hidden name, .<H16>-<pid>-<ns>.tmp, and
 * renamed once whole (spool.c).  A writer killed before the rename left
 * it for good; cnsm_dead_tmp_sweep removes those of writers that are gone,
 * once ten minutes old and after the take-over has renamed the ones a
 * dead fork child's live file names (its figures are in them).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "live_format.h"

/* Whether name is a published live file's: <sink>-<pid>-<ns>.live (one
 * being made is named .<...>.live until it is whole). */
static int is_live_file(const char *name) {
  size_t len = strlen(name), suffix = strlen(CNSM_LIVE_SUFFIX);
  return name[0] != '.' && len > suffix &&
         strcmp(name + len - suffix, CNSM_LIVE_SUFFIX) == 0;
}

/* Whether name is a live file of the sink whose hash starts hash16. */
static int is_live_name(const char *name, const char *hash) {
  return strncmp(name, hash, 16) == 0 && name[16] == '-' && is_live_file(name);
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

void cnsm_dead_close(struct cnsm_dead *d, int remove) {
  if (remove && d->taken)
    unlink(d->path); /* before the lock goes: nobody takes it again */
  munmap(d->map, d->len);
  close(d->fd);
  free(d->path);
}

void cnsm_dead_release(struct cnsm_dead *dead, size_t count, int remove) {
  for (size_t i = 0; i < count; i++)
    cnsm_dead_close(&dead[i], remove);
  free(dead);
}

/* A dead process's live file must be this old before its directory's
 * missing spool counts as gone for good, not as one being made again. */
#define ORPHAN_AGE_S (10 * 60)

/* Removes dir's live files of dead processes and its other files, older
 * than ORPHAN_AGE_S, then dir itself if nothing else is left in it. */
static void sweep_orphan(const char *dir) {
  DIR *d = cnsm_opendir_aside(dir);
  if (!d)
    return;
  int left = 0;
  time_t now = time(NULL);
  struct dirent *ent;
  while ((ent = readdir(d))) {
    const char *name = ent->d_name;
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
        strcmp(name, CNSM_LIVE_SPOOL_LINK) == 0)
      continue;
    char path[4200];
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path) {
      left = 1;
      continue;
    }
    struct stat st;
    if (!is_live_file(name)) {
      /* A fork child's handed file (spool.c), claimed or not, or one
       * being written: nobody will load it now that its spool is gone. */
      if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode) ||
          now - st.st_mtime <= ORPHAN_AGE_S || unlink(path) != 0)
        left = 1;
      continue;
    }
    int fd = cnsm_open_aside(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, 0);
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
        now - st.st_mtime > ORPHAN_AGE_S && flock(fd, LOCK_EX | LOCK_NB) == 0)
      unlink(path); /* under the lock: nobody took it meanwhile */
    else
      left = 1;
    if (fd >= 0)
      close(fd);
  }
  closedir(d);
  if (!left) {
    char link[4200];
    if (snprintf(link, sizeof link, "%s/%s", dir, CNSM_LIVE_SPOOL_LINK) <
        (int)sizeof link)
      unlink(link);
    rmdir(dir); /* fails if a process made a file meanwhile: kept */
  }
}

void cnsm_orphans_sweep(void) {
  char prefix[64];
  snprintf(prefix, sizeof prefix, "codensm-%ld-", (long)getuid());
  DIR *shm = cnsm_opendir_aside("/dev/shm");
  if (!shm)
    return;
  struct dirent *ent;
  while ((ent = readdir(shm))) {
    if (strncmp(ent->d_name, prefix, strlen(prefix)) != 0)
      continue;
    char dir[300], link[320], spool[4096]; /* d_name: at most 255 bytes */
    snprintf(dir, sizeof dir, "/dev/shm/%s", ent->d_name);
    snprintf(link, sizeof link, "%s/%s", dir, CNSM_LIVE_SPOOL_LINK);
    if (!cnsm_own_private_dir(dir))
      continue; /* not one of ours */
    ssize_t n = readlink(link, spool, sizeof spool - 1);
    if (n <= 0)
      continue; /* unnamed (an older runtime's): its spool is unknown */
    spool[n] = '\0';
    struct stat st;
    if (lstat(spool, &st) == 0 || errno != ENOENT)
      continue; /* its spool is there, or cannot be told gone */
    sweep_orphan(dir);
  }
  closedir(shm);
}

/* The pid in a hidden spool file's name, .<H16>-<pid>-<ns>.tmp, or 0. */
static pid_t tmp_writer(const char *name, const char *hash) {
  size_t len = strlen(name);
  if (name[0] != '.' || strncmp(name + 1, hash, 16) != 0 || name[17] != '-' ||
      len < 5 || strcmp(name + len - 4, ".tmp") != 0)
    return 0;
  char *end;
  long pid = strtol(name + 18, &end, 10);
  return end != name + 18 && *end == '-' && pid > 0 && pid <= INT_MAX
             ? (pid_t)pid
             : 0;
}

int cnsm_pid_gone(pid_t pid) { return kill(pid, 0) != 0 && errno == ESRCH; }

/* How often a process looks for hidden files to sweep: each is ten
 * minutes old before it goes, and the spool's load reads the directory
 * anyway (a forking server's parent loads it at every flush). */
#define TMP_SWEEP_EVERY_S 60

static void sweep_tmp(const char *dir, const char *hash, time_t now) {
  DIR *d = cnsm_opendir_aside(dir);
  if (!d)
    return;
  struct dirent *ent;
  while ((ent = readdir(d))) {
    pid_t pid = tmp_writer(ent->d_name, hash);
    if (!pid || !cnsm_pid_gone(pid))
      continue;
    char path[4200];
    struct stat st;
    if (snprintf(path, sizeof path, "%s/%s", dir, ent->d_name) >=
            (int)sizeof path ||
        lstat(path, &st) != 0 || !S_ISREG(st.st_mode) ||
        now - st.st_mtime <= ORPHAN_AGE_S)
      continue;
    if (unlink(path) == 0)
      cnsm_debug("removed %s: its writer is gone", ent->d_name);
  }
  closedir(d);
}

void cnsm_dead_tmp_sweep(const char *dir, const char *live_dir,
                         const char *hash) {
  static time_t last; /* flush lock held */
  time_t now = time(NULL);
  if (last && now - last < TMP_SWEEP_EVERY_S)
    return;
  last = now;
  sweep_tmp(dir, hash, now);
  if (live_dir && strcmp(live_dir, dir) != 0) /* fork children's hand-offs */
    sweep_tmp(live_dir, hash, now);
}
