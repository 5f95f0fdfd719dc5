/* SPDX-License-Identifier: Apache-2.0
 *
 * spool.c - what could not be delivered, for the next process that uses
 * the same endpoint AND the same key.
 *
 * Layout: one directory (CODENSM_SPOOL_DIR, default
 * $XDG_CACHE_HOME/codensm/spool or ~/.cache/codensm/spool).  A file's name
 * starts with 16 hex digits of H = SHA-256(endpoint "\n" key), so figures
 * counted under one project's key are never sent with another's; the key
 * itself is written nowhere, the file holds H in full ("sink").  Two kinds:
 *   <H16>-<pid>-<ns>.json   deltas, merged:
 *     {"sink":H,"endpoint":"...","functions":[{"name","department",
 *      "value_weight","calls","errors","total_ns"}]}
 *     and each function's extensions under the wire's names (spool_read.c
 *     reads them),
 *     written by the ingest body's encoder (encode.c);
 *     a fork child's figures handed to its parent are such a file too
 *     (cnsm_spool_hand_off, handoff.c), in the live directory (durable.c:
 *     /dev/shm when it is a tmpfs), which is read like the spool
 *   <H16>-<pid>-<ns>.batch  one frozen batch (batch.c), verbatim:
 *     {"sink":H,"endpoint":"...","idempotency_key":"...","body":"...",
 *      "version":"...","instance":"..."}
 *     with the labels of the process that counted it ("" when it had
 *     none), which it is resent with; deltas take the labels of the
 *     process that sends them, as they are merged with its own.
 * written to a dot-file first and renamed into place (atomic).  A process
 * claims a file by renaming it to <name>.claimed-<its pid> (so two
 * processes never both send it).  Deltas are added to the table (pend_*)
 * and the files unlinked once acknowledged; at exit what is left is
 * written as ONE new deltas file, so the spool's size is bounded by the
 * number of functions, not of runs.  A frozen batch is written when it
 * freezes and unlinked when acknowledged; at exit it is unclaimed, and the
 * next process resends it under its key.  If a process dies, a later one
 * re-claims the files whose claiming pid no longer exists.
 *
 * The directory is not trusted: only regular files (O_NOFOLLOW |
 * O_NONBLOCK, then fstat) of at most CNSM_SPOOL_FILE_MAX bytes are read; a
 * FIFO would hang the exit, a 900 MB file was read whole at every start.
 * A file that is irregular, too big or not a spool file is renamed
 * <name>.corrupt with one warning; entries are sanitized like any other
 * name (table.c), errors clamped to calls.  Called with the flush lock.
 */
#define _GNU_SOURCE
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "live_format.h"

static char **claimed; /* paths of files this process claimed */
static size_t claimed_count;
/* Dead processes' live files whose figures a take-over loaded but could
 * not record in our live file as taken (its NAMES block could not grow):
 * held open and locked, as claimed files are claimed, until those figures
 * are acknowledged (cnsm_spool_release), so that no take-over reads them
 * again meanwhile.  Released at once, each was read again by the next
 * take-over after its figures had been sent: counted twice. */
static struct cnsm_dead *held;
static size_t held_count;

/* Moves a file that is not a usable spool file aside (<path>.corrupt),
 * with one warning per process. */
static void set_aside(const char *path, const char *why) {
  static int warned;
  char to[4200];
  snprintf(to, sizeof to, "%s.corrupt", path);
  int moved = rename(path, to) == 0;
  if (!warned++)
    cnsm_warn("spool file %s %s; %s (the rest of the spool is delivered)", path,
              why, moved ? "moved aside as *.corrupt" : "left alone");
}

/* Reads a spool file: regular, at most CNSM_SPOOL_FILE_MAX bytes, never
 * blocking.  Malloc'd, NUL-ended; NULL after setting it aside. */
static char *read_file(const char *path, size_t *len) {
  int fd = cnsm_open_aside(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK, 0);
  if (fd < 0) {
    if (errno == ELOOP)
      set_aside(path, "is a symbolic link");
    return NULL;
  }
  struct stat st;
  char *buf = NULL;
  const char *why = "cannot be read";
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
    why = "is not a regular file";
  else if ((uint64_t)st.st_size > CNSM_SPOOL_FILE_MAX)
    why = "is larger than 64 MB";
  else if ((buf = malloc((size_t)st.st_size + 1))) {
    ssize_t n = read(fd, buf, (size_t)st.st_size);
    if (n == st.st_size) {
      buf[n] = '\0';
      *len = (size_t)n;
    } else {
      free(buf);
      buf = NULL;
    }
  }
  close(fd);
  if (!buf)
    set_aside(path, why);
  return buf;
}

/* Reads and loads one claimed file.  1: a deltas file (keep its path in
 * claimed), 2: a frozen batch (batch.c owns path), 0: given back or set
 * aside (path freed). */
static int load_file(const char *dir, const char *name, char *path,
                     const char hash[65]) {
  size_t len = 0;
  char *text = read_file(path, &len);
  if (!text) {
    free(path);
    return 0;
  }
  int frozen = strstr(name, ".batch") != NULL;
  int rc = cnsm_spool_parse(text, len, hash, frozen ? path : NULL);
  free(text);
  if (rc == 0)
    return frozen ? 2 : 1;
  if (rc == 1) { /* another sink's, same 16 digits: give it back */
    char back[4200];
    snprintf(back, sizeof back, "%s/%s", dir, name);
    rename(path, back);
  } else {
    set_aside(path, "is not a spool file (corrupt)");
  }
  free(path);
  return 0;
}

/* The pid of a "...claimed-<pid>" name, or 0. */
static pid_t claimer(const char *name) {
  const char *c = strstr(name, ".claimed-");
  if (!c)
    return 0;
  char *end;
  long pid = strtol(c + 9, &end, 10);
  return end != c + 9 && pid > 0 && pid <= INT_MAX ? (pid_t)pid : 0;
}

/* Renames dir/name to a name claimed by us; the new path, or NULL. */
static char *claim(const char *dir, const char *name) {
  char from[4096], to[4096];
  size_t base = strstr(name, ".claimed-")
                    ? (size_t)(strstr(name, ".claimed-") - name)
                    : strlen(name);
  snprintf(from, sizeof from, "%s/%s", dir, name);
  snprintf(to, sizeof to, "%s/%.*s.claimed-%ld", dir, (int)base, name,
           (long)getpid());
  if (rename(from, to) != 0)
    return NULL;
  return strdup(to);
}

/* The next entry of d that is a spool file of the sink whose hash is
 * given (claimed or not, never set aside), or NULL. */
static const char *next_sink_file(DIR *d, const char hash[65]) {
  const char *own = cnsm_durable_name(); /* our live file is not spool */
  struct dirent *ent;
  while ((ent = readdir(d)))
    if (strncmp(ent->d_name, hash, 16) == 0 && ent->d_name[16] == '-' &&
        !strstr(ent->d_name, ".corrupt") &&
        !(own && strcmp(ent->d_name, own) == 0))
      return ent->d_name;
  return NULL;
}

/* Whether dir holds any spool file of this sink; reads only the
 * directory, so the flusher can ask before taking any lock. */
int cnsm_spool_has_files(const char *dir, const char *endpoint,
                         const char *key) {
  char hash[65], live_dir[4096];
  cnsm_sink_hash(endpoint, key, hash);
  int found = 0;
  for (int live = 0; live < 2 && !found; live++) {
    if (live && cnsm_live_dir(dir, live_dir, sizeof live_dir) != 0)
      break;
    DIR *d = cnsm_opendir_aside(live ? live_dir : dir);
    if (!d)
      continue;
    found = next_sink_file(d, hash) != NULL;
    closedir(d);
  }
  return found;
}

/* Fork child: the claimed and held files are the parent's (closing our
 * descriptors leaves its locks: they are the open files', which it holds
 * too). */
static void fork_child(void) {
  claimed = NULL;
  claimed_count = 0;
  for (size_t i = 0; i < held_count; i++)
    close(held[i].fd);
  held = NULL;
  held_count = 0;
}

static void install_fork_handlers(void) {
  pthread_atfork(NULL, NULL, fork_child);
}

void cnsm_spool_init_once(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, install_fork_handlers);
}

/* Remembers a claimed deltas file; 0 or -1. */
static int remember(char *path) {
  cnsm_spool_init_once();
  char **grown = realloc(claimed, (claimed_count + 1) * sizeof *claimed);
  if (!grown)
    return -1;
  claimed = grown;
  claimed[claimed_count++] = path;
  return 0;
}

/* Claims and loads every deltas and batch file of this sink. */
static size_t load_spool_files(const char *dir, const char hash[65]) {
  DIR *d = cnsm_opendir_aside(dir);
  if (!d)
    return 0;
  size_t total = 0;
  const char *name;
  while ((name = next_sink_file(d, hash))) {
    pid_t pid = claimer(name);
    if (pid && (pid == getpid() || !cnsm_pid_gone(pid)))
      continue; /* claimed by a live process */
    if (strstr(name, CNSM_LIVE_SUFFIX) ||
        (!pid && !strstr(name, ".json") && !strstr(name, ".batch")))
      continue; /* live files: see take_over */
    char *path = claim(dir, name);
    if (!path)
      continue;
    int kind = load_file(dir, name, path, hash);
    if (kind == 1 && remember(path) != 0)
      free(path); /* loaded; the file stays, unclaimed by anyone alive */
    // load_file freed path (0) or gave it to batch.c through
    // cnsm_spool_parse (2), which the analyzer cannot see.
    // NOLINTNEXTLINE(clang-analyzer-unix.Malloc)
    total += kind != 0;
    if (kind)
      cnsm_debug("loaded spool file %s", name);
  }
  closedir(d);
  return total;
}

/* ---- dead processes' live files ------------------------------------------ */

/* Where a dead process's figures go while its file is read. */
struct taking {
  const char *dir, *live_dir, *endpoint, *key;
  long functions, batches;
  struct cnsm_dead *dead; /* the dead live files found */
  size_t dead_count;
  size_t reading; /* the one being read */
};

static void set_aside_live(const char *path) {
  set_aside(path, "is not a live file (not a regular file, or of a size no "
                  "live file has)");
}

/* A file the dead process had taken over itself: its figures are in the
 * dead process's, so the file goes. */
static void remove_absorbed(void *ctx, const char *name) {
  const struct taking *t = ctx;
  size_t len = strlen(name), suffix = strlen(CNSM_LIVE_SUFFIX);
  int live = len > suffix && !strcmp(name + len - suffix, CNSM_LIVE_SUFFIX);
  char path[8300];
  snprintf(path, sizeof path, "%s/%s", live ? t->live_dir : t->dir, name);
  int removed = unlink(path) == 0;
  if (!removed && !live) { /* a child's handed file: in the live directory */
    snprintf(path, sizeof path, "%s/%s", t->live_dir, name);
    removed = unlink(path) == 0;
  }
  if (removed)
    cnsm_debug("removed %s: a dead process had taken it over", name);
  /* Found dead too, it is already open: its figures are not to be read. */
  for (size_t i = 0; live && i < t->dead_count; i++)
    if (strcmp(strrchr(t->dead[i].path, '/') + 1, name) == 0)
      t->dead[i].absorbed = 1;
}

/* A dead fork child's figures are all in a spool file of its own: given
 * its name if it died before it could, that file is loaded with the
 * others, and the live file goes (we hold its lock).  The file is in the
 * live directory, or in the spool itself when an earlier runtime wrote
 * it (cnsm_spool_hand_off). */
static void take_hand_off(void *ctx, const char *stem) {
  struct taking *t = ctx;
  const char *dirs[2] = {t->live_dir, t->dir};
  for (int i = 0; i < 2; i++) {
    char tmp[4200], path[4200];
    snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dirs[i], stem);
    snprintf(path, sizeof path, "%s/%s.json", dirs[i], stem);
    if (rename(tmp, path) == 0) {
      cnsm_debug("%s: named the file a dead process handed its figures to",
                 path);
      break;
    }
  }
  struct cnsm_dead *dead = &t->dead[t->reading];
  unlink(dead->path);
  dead->absorbed = 1; /* not to be read */
}

static void take_function(void *ctx, const char *name, const char *department,
                          uint32_t weight, uint64_t calls, uint64_t errors,
                          uint64_t ns) {
  struct taking *t = ctx;
  pthread_mutex_lock(&cnsm_registry_lock);
  size_t i = cnsm_fn_intern(name, department, weight);
  if (i != SIZE_MAX) {
    cnsm_pend_add(i, calls, errors, ns);
    t->functions++;
  }
  pthread_mutex_unlock(&cnsm_registry_lock);
}

/* The dead process's batch in flight: a frozen batch of ours now, in a
 * file of its own, resent under its key. */
static void take_batch(void *ctx, const char *idem_key, const char *body) {
  struct taking *t = ctx;
  if (cnsm_file_path(t->endpoint) && cnsm_file_has_line(t->endpoint, body)) {
    cnsm_debug("batch %s in flight was already written", idem_key);
    return; /* a file has no key to make the second copy a duplicate */
  }
  char *path = cnsm_spool_write_batch(t->dir, t->endpoint, t->key, idem_key,
                                      NULL, NULL, body);
  if (path && cnsm_frozen_adopt(idem_key, body, path, NULL, NULL) == 0)
    t->batches++;
  else
    free(path);
}

/* Keeps the dead files taken (held), releases the others. */
static void hold_taken(struct cnsm_dead *dead, size_t count) {
  size_t taken = 0;
  for (size_t i = 0; i < count; i++)
    taken += dead[i].taken != 0;
  struct cnsm_dead *grown =
      taken ? realloc(held, (held_count + taken) * sizeof *held) : NULL;
  if (grown)
    held = grown;
  for (size_t i = 0; i < count; i++) {
    if (!grown || !dead[i].taken) {
      /* Not taken; or taken, and no memory to hold it: read again by a
       * later take-over, once its figures are sent (the old way). */
      cnsm_dead_close(&dead[i], 0);
      continue;
    }
    held[held_count++] = dead[i];
  }
  free(dead);
}

/* The figures of dead processes' live files become ours (pending, and
 * frozen batches); what they had taken over themselves is removed first,
 * so nothing is loaded twice.  With a live file of our own, the files
 * whose figures we took over (claimed[], the dead ones) are removed once
 * our file holds them all; without one, dead files wait for a process
 * that has one.  Returns how many functions and batches were loaded. */
static size_t take_over(const char *dir, const char *endpoint, const char *key,
                        const char hash[65]) {
  char live_dir[4096];
  if (cnsm_live_dir(dir, live_dir, sizeof live_dir) != 0) {
    cnsm_dead_tmp_sweep(dir, NULL, hash);
    return load_spool_files(dir, hash);
  }
  struct taking t = {dir, live_dir, endpoint, key, 0, 0, NULL, 0, 0};
  struct cnsm_live_reader absorbed = {
      .absorbed = remove_absorbed, .handed_off = take_hand_off, .ctx = &t};
  struct cnsm_live_reader figures = {
      .function = take_function, .batch = take_batch, .ctx = &t};
  struct cnsm_dead *dead;
  size_t dead_count;
  int durable = cnsm_durable_active();
  if (durable && cnsm_pend_absorb_begin() != 0)
    return 0; /* the files wait for a take-over that can record itself */
  cnsm_dead_find(live_dir, hash, &dead, &dead_count, set_aside_live);
  t.dead = dead;
  t.dead_count = dead_count;
  for (size_t i = 0; i < dead_count; i++) {
    t.reading = i;
    cnsm_live_parse(dead[i].map, dead[i].len, hash, &absorbed);
  }
  cnsm_dead_tmp_sweep(dir, live_dir, hash); /* what is hidden now is nobody's */
  size_t loaded = load_spool_files(dir, hash);
  if (strcmp(live_dir, dir) != 0) /* children's handed files */
    loaded += load_spool_files(live_dir, hash);
  if (!durable) {
    cnsm_dead_release(dead, dead_count, 0);
    return loaded;
  }
  for (size_t i = 0; i < dead_count; i++) {
    if (dead[i].absorbed)
      continue; /* another dead process had taken it over */
    int rc = cnsm_live_parse(dead[i].map, dead[i].len, hash, &figures);
    dead[i].taken = rc == 0; /* 1: another sink's (same 16 digits) */
    if (rc < 0)
      set_aside_live(dead[i].path);
  }
  const char **names = malloc((claimed_count + dead_count + 1) * sizeof *names);
  size_t n = 0;
  for (size_t i = 0; names && i < claimed_count; i++)
    names[n++] = strrchr(claimed[i], '/') + 1;
  for (size_t i = 0; names && i < dead_count; i++)
    if (dead[i].taken)
      names[n++] = strrchr(dead[i].path, '/') + 1;
  if (names && n == 0) { /* nothing taken over */
    cnsm_dead_release(dead, dead_count, 0);
    cnsm_durable_absorb_end();
  } else if (names && cnsm_durable_absorbed(names, n) == 0) {
    cnsm_spool_release();
    cnsm_dead_release(dead, dead_count, 1);
    cnsm_durable_absorb_end();
  } else { /* not recorded: what it took stays claimed, and held */
    hold_taken(dead, dead_count);
  }
  free(names);
  return loaded + (size_t)t.functions + (size_t)t.batches;
}

/* Claims and loads every spool file of this endpoint and key. */
size_t cnsm_spool_load(const char *dir, const char *endpoint, const char *key) {
  /* Once a process, by its first look at the spool: its flusher's start,
   * off the program's threads (a fork child looks at none). */
  static int swept;
  if (!swept++)
    cnsm_orphans_sweep();
  char hash[65];
  cnsm_sink_hash(endpoint, key, hash);
  return take_over(dir, endpoint, key, hash);
}

/* The spooled deltas were acknowledged: remove their files. */
void cnsm_spool_release(void) {
  for (size_t i = 0; i < claimed_count; i++) {
    unlink(claimed[i]);
    free(claimed[i]);
  }
  free(claimed);
  claimed = NULL;
  claimed_count = 0;
  cnsm_dead_release(held, held_count, 1); /* each one taken */
  held = NULL;
  held_count = 0;
}

/* A spool file on its way: its text in tmp (a hidden name, which no
 * reader looks at), written; path is the name it takes. */
struct spool_out {
  char stem[64]; /* <H16>-<pid>-<ns> */
  char tmp[4200], path[4200];
};

/* Writes text to dir/.<stem>.tmp, for dir/<stem><suffix>, synced to disk
 * when sync; 0 or -1. */
static int write_hidden(const char *dir, const char hash[65],
                        const char *suffix, const char *text, int sync,
                        struct spool_out *out) {
  size_t len = strlen(text);
  if (!cnsm_file_size_allowed(len) || cnsm_mkdirs(dir) != 0)
    return -1;
  snprintf(out->stem, sizeof out->stem, "%.16s-%ld-%llu", hash, (long)getpid(),
           (unsigned long long)cnsm_now_ns());
  snprintf(out->path, sizeof out->path, "%s/%s%s", dir, out->stem, suffix);
  snprintf(out->tmp, sizeof out->tmp, "%s/.%s.tmp", dir, out->stem);
  int fd = cnsm_open_aside(out->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW,
                           0600);
  if (fd < 0)
    return -1;
  int ok = write(fd, text, len) == (ssize_t)len && (!sync || fsync(fd) == 0);
  close(fd);
  if (!ok)
    unlink(out->tmp);
  return ok ? 0 : -1;
}

/* Writes text atomically as dir/<H16>-<pid>-<ns><suffix>; the path's
 * malloc'd copy, or NULL. */
static char *write_atomically(const char *dir, const char hash[65],
                              const char *suffix, const char *text) {
  struct spool_out out;
  if (write_hidden(dir, hash, suffix, text, 1, &out) != 0)
    return NULL;
  if (rename(out.tmp, out.path) != 0) {
    unlink(out.tmp);
    return NULL;
  }
  return strdup(out.path);
}

/* A spool file's root object: {"sink":H,"endpoint":E}. */
static cJSON *file_root(const char *endpoint, const char hash[65]) {
  cJSON *root = cJSON_CreateObject();
  if (root) {
    cJSON_AddStringToObject(root, "sink", hash);
    cJSON_AddStringToObject(root, "endpoint", endpoint);
  }
  return root;
}

/* Writes d[0..n) atomically as a new deltas file of endpoint and key. */
int cnsm_spool_write(const char *dir, const char *endpoint, const char *key,
                     const struct cnsm_delta *d, size_t n, int release) {
  char hash[65];
  cnsm_sink_hash(endpoint, key, hash);
  char *text = cnsm_encode_deltas_file(hash, endpoint, d, n);
  if (!text)
    return -1;
  char *path = write_atomically(dir, hash, ".json", text);
  free(text);
  if (!path)
    return -1;
  cnsm_debug("spooled %zu functions to %s", n, path);
  free(path);
  if (release)
    cnsm_spool_release(); /* their contents are in the new file */
  return 0;
}

int cnsm_spool_hand_off(const char *dir, const char *endpoint, const char *key,
                        const struct cnsm_delta *d, size_t n) {
  char hash[65], live_dir[4096];
  cnsm_sink_hash(endpoint, key, hash);
  char *text = cnsm_encode_deltas_file(hash, endpoint, d, n);
  struct spool_out out;
  /* In the live directory, and not synced: the figures it takes over were
   * in the live file, in memory (/dev/shm), which a crash of the machine
   * loses as well; a process's death loses neither.  Synced, it took each
   * PostgreSQL backend's exit 4 ms (median), not bounded by
   * CODENSM_EXIT_TIMEOUT; made on ext4 under a server's churn of files,
   * 1.1 ms more, in the inode allocator.  A file a crash cuts short is set
   * aside as corrupt when read. */
  const char *into =
      cnsm_live_dir(dir, live_dir, sizeof live_dir) == 0 ? live_dir : dir;
  int rc = text ? write_hidden(into, hash, ".json", text, 0, &out) : -1;
  free(text);
  if (rc != 0)
    return -1;
  /* From here a reader of our live file, should we die, finds the
   * figures in the file and not in the live file (live_format.h). */
  cnsm_durable_hand_off(out.stem);
  if (rename(out.tmp, out.path) != 0) {
    cnsm_durable_hand_off(NULL);
    unlink(out.tmp);
    return -1;
  }
  cnsm_debug("handed %zu functions over in %s", n, out.path);
  cnsm_spool_release();
  return 0;
}

/* Writes a frozen batch as a .batch file, claimed by this process. */
char *cnsm_spool_write_batch(const char *dir, const char *endpoint,
                             const char *key, const char *idem_key,
                             const char *version, const char *instance,
                             const char *body) {
  char hash[65];
  cnsm_sink_hash(endpoint, key, hash);
  cJSON *root = file_root(endpoint, hash);
  if (!root)
    return NULL;
  cJSON_AddStringToObject(root, "idempotency_key", idem_key);
  cJSON_AddStringToObject(root, "body", body);
  cJSON_AddStringToObject(root, "version", version ? version : "");
  cJSON_AddStringToObject(root, "instance", instance ? instance : "");
  char *text = cJSON_PrintUnformatted(root);
  cJSON_Delete(root);
  if (!text)
    return NULL;
  char suffix[64];
  snprintf(suffix, sizeof suffix, ".batch.claimed-%ld", (long)getpid());
  char *path = write_atomically(dir, hash, suffix, text);
  free(text);
  return path;
}
