/*
 * spool.c - deltas that could not be sent before exit, for the next
 * process that uses the same endpoint.
 *
 * Layout: one directory (CODENSM_SPOOL_DIR, default
 * $XDG_CACHE_HOME/codensm/spool or ~/.cache/codensm/spool), files named
 * <endpoint hash>-<pid>-<ns>.json holding
 *   {"endpoint":"...","functions":[{"name","department","value_weight",
 *                                   "calls","errors","total_ns"}]}
 * written to a dot-file first and renamed into place (atomic).  A process
 * claims a file by renaming it to <name>.claimed-<its pid> (so two
 * processes never both send it), adds its deltas to what it sends, and
 * unlinks it only once they were acknowledged.  If that process exits
 * unacknowledged it writes everything (claimed + its own) as a new spool
 * file and unlinks the claimed ones; if it dies, a later process re-claims
 * the files whose claiming pid no longer exists.  Delivery is
 * at-least-once: a send that timed out at exit may still have reached the
 * server.  Called with the flush lock held.
 */
#define _GNU_SOURCE
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

static char **claimed; /* paths of files this process claimed */
static size_t claimed_count;

/* FNV-1a of the endpoint, as 16 hex digits. */
static void endpoint_hash(const char *endpoint, char out[17]) {
  uint64_t h = 1469598103934665603ull;
  for (const char *s = endpoint; *s; s++)
    h = (h ^ (unsigned char)*s) * 1099511628211ull;
  snprintf(out, 17, "%016llx", (unsigned long long)h);
}

/* Creates dir and its parents (mode 0700). */
static int mkdirs(const char *dir) {
  char path[4096];
  if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
    return -1;
  for (char *p = path + 1; *p; p++)
    if (*p == '/') {
      *p = '\0';
      mkdir(path, 0700);
      *p = '/';
    }
  return mkdir(path, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

/* $XDG_CACHE_HOME/codensm/spool, ~/.cache/codensm/spool, or /tmp. */
char *cnsm_spool_default_dir(void) {
  char buf[4096];
  const char *xdg = getenv("XDG_CACHE_HOME");
  const char *home = getenv("HOME");
  if (xdg && xdg[0] == '/')
    snprintf(buf, sizeof buf, "%s/codensm/spool", xdg);
  else if (home && home[0] == '/')
    snprintf(buf, sizeof buf, "%s/.cache/codensm/spool", home);
  else
    snprintf(buf, sizeof buf, "/tmp/codensm-%u/spool", (unsigned)getuid());
  return strdup(buf);
}

/* Reads a whole small file; malloc'd, NUL-ended, or NULL. */
static char *read_file(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return NULL;
  struct stat st;
  char *buf = NULL;
  if (fstat(fd, &st) == 0 && st.st_size < (1 << 30) &&
      (buf = malloc((size_t)st.st_size + 1))) {
    ssize_t n = read(fd, buf, (size_t)st.st_size);
    if (n != st.st_size) {
      free(buf);
      buf = NULL;
    } else
      buf[n] = '\0';
  }
  close(fd);
  return buf;
}

/* A number member as uint64 (0 when missing or negative). */
static uint64_t num(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsNumber(v) && v->valuedouble > 0 ? (uint64_t)v->valuedouble
                                                 : 0;
}

/* Adds one spool file's functions to the table's pend_*.  Returns how
 * many; -1 when the file is not ours or unreadable. */
static long load_file(const char *path, const char *endpoint) {
  char *text = read_file(path);
  if (!text)
    return -1;
  cJSON *root = cJSON_Parse(text);
  free(text);
  const cJSON *ep = cJSON_GetObjectItemCaseSensitive(root, "endpoint");
  const cJSON *fns = cJSON_GetObjectItemCaseSensitive(root, "functions");
  if (!cJSON_IsString(ep) || strcmp(ep->valuestring, endpoint) != 0 ||
      !cJSON_IsArray(fns)) {
    cJSON_Delete(root);
    return -1;
  }
  long n = 0;
  const cJSON *f;
  pthread_mutex_lock(&cnsm_registry_lock);
  cJSON_ArrayForEach(f, fns) {
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(f, "name");
    const cJSON *dept = cJSON_GetObjectItemCaseSensitive(f, "department");
    if (!cJSON_IsString(name))
      continue;
    size_t i = cnsm_fn_intern(name->valuestring,
                              cJSON_IsString(dept) ? dept->valuestring : "",
                              (uint32_t)num(f, "value_weight"));
    if (i == SIZE_MAX)
      continue;
    struct cnsm_fn *e = &cnsm_fns[i];
    e->pend_calls += num(f, "calls");
    e->pend_errors += num(f, "errors");
    e->pend_ns += num(f, "total_ns");
    if (!e->pend_present) {
      e->pend_present = 1;
      cnsm_pend_entries++;
    }
    n++;
  }
  pthread_mutex_unlock(&cnsm_registry_lock);
  cJSON_Delete(root);
  return n;
}

/* The pid of a "...claimed-<pid>" name, or 0. */
static pid_t claimer(const char *name) {
  const char *c = strstr(name, ".claimed-");
  return c ? (pid_t)atol(c + 9) : 0;
}

/* Renames dir/name to a name claimed by us; the new path, or NULL. */
static char *claim(const char *dir, const char *name) {
  char from[4096], to[4096];
  size_t base = strstr(name, ".claimed-") ? (size_t)(strstr(name, ".claimed-") - name)
                                          : strlen(name);
  snprintf(from, sizeof from, "%s/%s", dir, name);
  snprintf(to, sizeof to, "%s/%.*s.claimed-%ld", dir, (int)base, name,
           (long)getpid());
  if (rename(from, to) != 0)
    return NULL;
  return strdup(to);
}

/* The next entry of d that is a spool file of the endpoint whose hash is
 * given (claimed or not), or NULL. */
static const char *next_endpoint_file(DIR *d, const char hash[17]) {
  struct dirent *ent;
  while ((ent = readdir(d)))
    if (strncmp(ent->d_name, hash, 16) == 0 && ent->d_name[16] == '-')
      return ent->d_name;
  return NULL;
}

/* Whether dir holds any spool file of this endpoint; reads only the
 * directory, so the flusher can ask before taking any lock. */
int cnsm_spool_has_files(const char *dir, const char *endpoint) {
  char hash[17];
  endpoint_hash(endpoint, hash);
  DIR *d = opendir(dir);
  if (!d)
    return 0;
  int found = next_endpoint_file(d, hash) != NULL;
  closedir(d);
  return found;
}

/* Claims and loads every spool file of this endpoint. */
size_t cnsm_spool_load(const char *dir, const char *endpoint) {
  char hash[17];
  endpoint_hash(endpoint, hash);
  DIR *d = opendir(dir);
  if (!d)
    return 0;
  size_t total = 0;
  const char *name;
  while ((name = next_endpoint_file(d, hash))) {
    pid_t pid = claimer(name);
    if (pid && (pid == getpid() || kill(pid, 0) == 0 || errno != ESRCH))
      continue; /* claimed by a live process */
    if (!pid && !strstr(name, ".json"))
      continue;
    char *path = claim(dir, name);
    if (!path)
      continue;
    long n = load_file(path, endpoint);
    if (n < 0) { /* not ours after all: give it back */
      char back[4096];
      snprintf(back, sizeof back, "%s/%s", dir, name);
      rename(path, back);
      free(path);
      continue;
    }
    char **grown = realloc(claimed, (claimed_count + 1) * sizeof *claimed);
    if (!grown) {
      free(path);
      continue;
    }
    claimed = grown;
    claimed[claimed_count++] = path;
    total += (size_t)n;
    cnsm_debug("loaded %ld spooled functions from %s", n, path);
  }
  closedir(d);
  return total;
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
}

/* Fork child: the claimed files are the parent's. */
void cnsm_spool_forget(void) {
  claimed = NULL;
  claimed_count = 0;
}

/* One function of a spool file. */
static cJSON *spool_item(const struct cnsm_delta *d) {
  cJSON *o = cJSON_CreateObject();
  if (!o)
    return NULL;
  cJSON_AddStringToObject(o, "name", d->name);
  cJSON_AddStringToObject(o, "department", d->department);
  cJSON_AddNumberToObject(o, "value_weight", d->weight);
  cJSON_AddNumberToObject(o, "calls", (double)(d->calls + d->pend_calls));
  cJSON_AddNumberToObject(o, "errors", (double)(d->errors + d->pend_errors));
  cJSON_AddNumberToObject(o, "total_ns", (double)(d->ns + d->pend_ns));
  return o;
}

/* Writes d[0..n) atomically as a new spool file of endpoint. */
int cnsm_spool_write(const char *dir, const char *endpoint,
                     const struct cnsm_delta *d, size_t n, int release) {
  if (mkdirs(dir) != 0)
    return -1;
  cJSON *root = cJSON_CreateObject();
  cJSON *arr = cJSON_CreateArray();
  if (!root || !arr) {
    cJSON_Delete(root);
    cJSON_Delete(arr);
    return -1;
  }
  cJSON_AddStringToObject(root, "endpoint", endpoint);
  cJSON_AddItemToObject(root, "functions", arr);
  for (size_t i = 0; i < n; i++) {
    cJSON *o = spool_item(&d[i]);
    if (o)
      cJSON_AddItemToArray(arr, o);
  }
  char *text = cJSON_PrintUnformatted(root);
  cJSON_Delete(root);
  if (!text)
    return -1;
  char hash[17], tmp[4096], path[4096];
  endpoint_hash(endpoint, hash);
  uint64_t now = cnsm_now_ns();
  snprintf(path, sizeof path, "%s/%s-%ld-%llu.json", dir, hash, (long)getpid(),
           (unsigned long long)now);
  snprintf(tmp, sizeof tmp, "%s/.%s-%ld-%llu.tmp", dir, hash, (long)getpid(),
           (unsigned long long)now);
  int rc = -1;
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd >= 0) {
    size_t len = strlen(text);
    int ok = write(fd, text, len) == (ssize_t)len && fsync(fd) == 0;
    close(fd);
    if (ok && rename(tmp, path) == 0)
      rc = 0;
    else
      unlink(tmp);
  }
  free(text);
  if (rc == 0) {
    cnsm_debug("spooled %zu functions to %s", n, path);
    if (release)
      cnsm_spool_release(); /* their contents are in the new file */
  }
  return rc;
}
