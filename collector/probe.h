/* SPDX-License-Identifier: Apache-2.0
 *
 * probe.h - probes: a function of a project that the running programs
 * time at every call until a moment, then sample again by themselves.
 * Kept in the database (table probes), so every replica and a restarted
 * collector know them; announced to senders on every 200 of ingest
 * (X-CodeNSM-Probe, server.c); started, listed and cancelled by the CLI
 * (`probe`) and /api/probe (api_probe.c). */
#ifndef CNSM_PROBE_H
#define CNSM_PROBE_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define CNSM_PROBES_MAX 64     /* active probes per project */
#define CNSM_PROBE_MAX_S 86400 /* the longest a probe lasts: 24 h */

/* One active probe. */
struct cnsm_probe {
  char *name;
  int64_t expires_at;   /* unix seconds */
  int64_t seconds_left; /* >= 1 */
};

/* A project's active probes, by name. */
struct cnsm_probes {
  struct cnsm_probe *v;
  size_t n, cap;
};

enum cnsm_probe_outcome {
  CNSM_PROBE_OK,
  CNSM_PROBE_FULL,  /* CNSM_PROBES_MAX others are active: refused */
  CNSM_PROBE_NONE,  /* a cancel found no active probe of that name */
  CNSM_PROBE_FAILED /* database error (cnsm_store_error says why) */
};

/* Parses a probe's duration: a positive integer and s, m or h ("90s",
 * "10m", "1h"), from 1 s to 24 h.  0 with *seconds, or -1. */
int cnsm_probe_parse_for(const char *text, int64_t *seconds);

/* Is name a function name by the contract's rules (1-512 bytes of UTF-8
 * without control characters)?  1 or 0. */
int cnsm_probe_name_valid(const char *name);

/* Starts (or extends, or shortens) the probe of name in project until
 * now + seconds (1..CNSM_PROBE_MAX_S), or with seconds 0 cancels it, in
 * one write transaction holding the project's lock; expired probes of
 * the project are deleted on the way.  *expires_at gets the end. */
enum cnsm_probe_outcome cnsm_probe_set(struct cnsm_conn *c, const char *project,
                                       const char *name, int64_t seconds,
                                       int64_t now, int64_t *expires_at);

/* The probes of project active at now, by name.  0 or -1; free *out
 * with cnsm_probes_free either way. */
int cnsm_probe_list(struct cnsm_conn *c, const char *project, int64_t now,
                    struct cnsm_probes *out);

void cnsm_probes_free(struct cnsm_probes *p);

#endif
