/* SPDX-License-Identifier: Apache-2.0
 *
 * env_names.c - names every CODENSM_* environment variable a process may
 * carry, and warns once about any other.
 *
 * A misspelled variable used to be ignored in silence: CODENSM_ENDPIONT
 * with a key sent every function name to the hosted default host.  Now an
 * unknown CODENSM_* name is said once on stderr with the closest known name,
 * and one that looks like CODENSM_ENDPOINT stops the hosted default from
 * standing in for it.  Variables read by CodeNSM's other tools (compiler
 * wrappers, collector, build scripts) reach instrumented processes too and
 * are known here, so they are not reported.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

extern char **environ;

/* Read by libcodensm: settings.inc's rows. */
static const char *const runtime_names[] = {
#define CNSM_SETTING(Var, Kind, Field, Default, Meaning) #Var,
#include "settings.inc"
};

/* Read by the wrappers, the collector and the build and test scripts. */
static const char *const tool_names[] = {
    "CODENSM_CLANG",    "CODENSM_CLANGXX",       "CODENSM_PLUGIN",
    "CODENSM_CONFIG",   "CODENSM_WRAPPER_DEBUG", "CODENSM_DB",
    "CODENSM_BUILD",    "CODENSM_BUILD_DIR",     "CODENSM_EXTRA_LLVM",
    "CODENSM_SANITIZE", "CODENSM_GCC",           "CODENSM_GXX",
    "CODENSM_REWRITE"};

#define COUNT(a) (sizeof(a) / sizeof *(a))

/* Edit distance between a (of length na) and b, capped at 9: small names. */
static size_t distance(const char *a, size_t na, const char *b) {
  size_t nb = strlen(b);
  if (na > 63 || nb > 63)
    return 9;
  size_t row[64];
  for (size_t j = 0; j <= nb; j++)
    row[j] = j;
  for (size_t i = 1; i <= na; i++) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= nb; j++) {
      size_t above = row[j];
      size_t best = diagonal + (a[i - 1] != b[j - 1]);
      if (above + 1 < best)
        best = above + 1;
      if (row[j - 1] + 1 < best)
        best = row[j - 1] + 1;
      row[j] = best;
      diagonal = above;
    }
  }
  return row[nb] < 9 ? row[nb] : 9;
}

/* True when name (of length n) is one of list. */
static int listed(const char *name, size_t n, const char *const *list,
                  size_t count) {
  for (size_t i = 0; i < count; i++)
    if (strlen(list[i]) == n && strncmp(name, list[i], n) == 0)
      return 1;
  return 0;
}

/* Whether known's words after CODENSM_ begin or end with name's (of
 * length n): CODENSM_KEY in CODENSM_API_KEY, CODENSM_SPOOL in
 * CODENSM_SPOOL_DIR. */
static int part_of(const char *name, size_t n, const char *known) {
  size_t tail = n - 8, known_tail = strlen(known) - 8;
  const char *w = name + 8, *k = known + 8;
  if (n <= 8 || tail >= known_tail)
    return 0;
  return (strncmp(k, w, tail) == 0 && k[tail] == '_') ||
         (strncmp(k + known_tail - tail, w, tail) == 0 &&
          k[known_tail - tail - 1] == '_');
}

/* The runtime's name closest to name, or NULL when none is near: within
 * 3 edits, else the first whose words begin or end with name's (a user's
 * CODENSM_KEY, 4 edits from CODENSM_API_KEY, was said to be unknown and
 * nothing more). */
static const char *closest(const char *name, size_t n) {
  const char *best = NULL;
  size_t best_distance = 4; /* further than 3 edits is another name */
  for (size_t i = 0; i < COUNT(runtime_names); i++) {
    size_t d = distance(name, n, runtime_names[i]);
    if (d < best_distance) {
      best = runtime_names[i];
      best_distance = d;
    }
  }
  for (size_t i = 0; !best && i < COUNT(runtime_names); i++)
    if (part_of(name, n, runtime_names[i]))
      best = runtime_names[i];
  return best;
}

int cnsm_env_check_names(int *endpoint_misspelled) {
  int unknown = 0;
  *endpoint_misspelled = 0;
  for (char **env = environ; env && *env; env++) {
    const char *entry = *env;
    if (strncmp(entry, "CODENSM_", 8) != 0)
      continue;
    const char *eq = strchr(entry, '=');
    size_t n = eq ? (size_t)(eq - entry) : strlen(entry);
    if (listed(entry, n, runtime_names, COUNT(runtime_names)) ||
        listed(entry, n, tool_names, COUNT(tool_names)))
      continue;
    const char *near = closest(entry, n);
    if (near && strcmp(near, "CODENSM_ENDPOINT") == 0)
      *endpoint_misspelled = 1;
    if (near)
      cnsm_warn("unknown variable %.*s; did you mean %s? (ignored)", (int)n,
                entry, near);
    else
      cnsm_warn("unknown variable %.*s (ignored); see docs/configuration.md",
                (int)n, entry);
    unknown++;
  }
  return unknown;
}
