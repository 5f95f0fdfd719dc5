/* SPDX-License-Identifier: Apache-2.0
 *
 * probe.c - the probes of probe.h in the database, on either backend.
 *
 * A probe is a row (project, name, expires_at).  Nothing runs when one
 * expires: a row whose expires_at is past is ignored by every read and
 * deleted by the next change to the project's probes, so a collector
 * that was down while one expired, or a replica that did not start it,
 * agrees with the others.  Changes hold the project's lock (the one
 * ingest takes), so two replicas cannot both admit a 64th probe. */
#include "probe.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

#define PROBE_NAME_MAX 512 /* the contract's name limit (ingest.h) */

/* Parses a duration of 1 s to 24 h; see probe.h. */
int cnsm_probe_parse_for(const char *text, int64_t *seconds) {
  int64_t n = 0;
  const char *p = text;
  if (p == NULL || *p < '0' || *p > '9')
    return -1;
  for (; *p >= '0' && *p <= '9'; p++) {
    n = n * 10 + (*p - '0');
    if (n > CNSM_PROBE_MAX_S)
      return -1;
  }
  int64_t unit = p[0] == 's' ? 1 : p[0] == 'm' ? 60 : p[0] == 'h' ? 3600 : 0;
  if (unit == 0 || p[1] != '\0' || n < 1 || n * unit > CNSM_PROBE_MAX_S)
    return -1;
  *seconds = n * unit;
  return 0;
}

/* A function name by the contract's rules; see probe.h. */
int cnsm_probe_name_valid(const char *name) {
  size_t n = name ? strlen(name) : 0;
  return n >= 1 && n <= PROBE_NAME_MAX && cnsm_utf8_valid(name, n);
}

/* Reads one integer (column 0) into ctx. */
static int probe_int_row(void *ctx, const struct cnsm_value *col, int ncol) {
  if (ncol < 1)
    return -1;
  *(int64_t *)ctx = col[0].i;
  return 0;
}

/* The writes of cnsm_probe_set, inside its transaction. */
static enum cnsm_probe_outcome probe_write(struct cnsm_conn *c,
                                           const char *project,
                                           const char *name, int64_t seconds,
                                           int64_t now) {
  const struct cnsm_value expired[] = {CNSM_P_TEXT(project), CNSM_P_INT(now)};
  const struct cnsm_value row[] = {CNSM_P_TEXT(project), CNSM_P_TEXT(name),
                                   CNSM_P_INT(now + seconds)};
  int64_t changes = 0, others = 0;
  if (cnsm_lock(c, project) != 0 ||
      cnsm_exec(c, "DELETE FROM probes WHERE project = $1 AND expires_at <= $2",
                expired, 2, NULL) != 0)
    return CNSM_PROBE_FAILED;
  if (seconds == 0) {
    if (cnsm_exec(c, "DELETE FROM probes WHERE project = $1 AND name = $2", row,
                  2, &changes) != 0)
      return CNSM_PROBE_FAILED;
    return changes > 0 ? CNSM_PROBE_OK : CNSM_PROBE_NONE;
  }
  if (cnsm_query(
          c, "SELECT COUNT(*) FROM probes WHERE project = $1 AND name <> $2",
          row, 2, probe_int_row, &others) != 0)
    return CNSM_PROBE_FAILED;
  if (others >= CNSM_PROBES_MAX)
    return CNSM_PROBE_FULL;
  return cnsm_exec(c,
                   "INSERT INTO probes(project, name, expires_at)"
                   " VALUES($1, $2, $3) ON CONFLICT(project, name)"
                   " DO UPDATE SET expires_at = excluded.expires_at",
                   row, 3, NULL) == 0
             ? CNSM_PROBE_OK
             : CNSM_PROBE_FAILED;
}

/* Starts or cancels a probe; see probe.h. */
enum cnsm_probe_outcome cnsm_probe_set(struct cnsm_conn *c, const char *project,
                                       const char *name, int64_t seconds,
                                       int64_t now, int64_t *expires_at) {
  *expires_at = now + seconds;
  if (cnsm_begin(c, CNSM_TXN_WRITE) != 0)
    return CNSM_PROBE_FAILED;
  enum cnsm_probe_outcome out = probe_write(c, project, name, seconds, now);
  if (out == CNSM_PROBE_OK && cnsm_commit(c) == 0)
    return out;
  cnsm_rollback(c);
  return out == CNSM_PROBE_OK ? CNSM_PROBE_FAILED : out;
}

/* Appends one (name, expires_at) row. */
static int probe_row(void *ctx, const struct cnsm_value *col, int ncol) {
  struct cnsm_probes *p = ctx;
  if (ncol < 3 || col[0].text == NULL)
    return -1;
  if (p->n == p->cap) {
    size_t cap = p->cap ? 2 * p->cap : 8;
    struct cnsm_probe *grown = realloc(p->v, cap * sizeof *grown);
    if (grown == NULL)
      return -1;
    p->v = grown;
    p->cap = cap;
  }
  struct cnsm_probe *pr = &p->v[p->n];
  pr->expires_at = col[1].i;
  pr->seconds_left = col[2].i;
  pr->name = strdup(col[0].text);
  return pr->name != NULL && ++p->n ? 0 : -1;
}

/* Lists active probes; see probe.h.  One statement: no transaction. */
int cnsm_probe_list(struct cnsm_conn *c, const char *project, int64_t now,
                    struct cnsm_probes *out) {
  memset(out, 0, sizeof *out);
  const struct cnsm_value p[] = {CNSM_P_TEXT(project), CNSM_P_INT(now)};
  return cnsm_query(c,
                    "SELECT name, expires_at, expires_at - $2 FROM probes"
                    " WHERE project = $1 AND expires_at > $2 ORDER BY name",
                    p, 2, probe_row, out);
}

void cnsm_probes_free(struct cnsm_probes *p) {
  for (size_t i = 0; i < p->n; i++)
    free(p->v[i].name);
  free(p->v);
  memset(p, 0, sizeof *p);
}
