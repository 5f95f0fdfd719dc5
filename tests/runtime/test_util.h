/* SPDX-License-Identifier: Apache-2.0
 *
 * test_util.h - small helpers shared by the runtime's C tests: CHECK,
 * scratch paths, and a strict reader of JSONL sink files (every line must
 * be exactly {"functions":[{six contract fields}]}).
 */
#ifndef CNSM_TEST_UTIL_H
#define CNSM_TEST_UTIL_H

#include "codensm_abi.h"
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int test_failures;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      test_failures++;                                                         \
    }                                                                          \
  } while (0)

#define CHECK_EQ(a, b)                                                         \
  do {                                                                         \
    unsigned long long a_ = (unsigned long long)(a);                           \
    unsigned long long b_ = (unsigned long long)(b);                           \
    if (a_ != b_) {                                                            \
      fprintf(stderr, "%s:%d: CHECK_EQ failed: %s = %llu, %s = %llu\n",        \
              __FILE__, __LINE__, #a, a_, #b, b_);                             \
      test_failures++;                                                         \
    }                                                                          \
  } while (0)

#define TEST_DONE()                                                            \
  do {                                                                         \
    if (test_failures)                                                         \
      fprintf(stderr, "%d check(s) failed\n", test_failures);                  \
    else                                                                       \
      fprintf(stderr, "ok\n");                                                 \
    return test_failures ? 1 : 0;                                              \
  } while (0)

/* A fresh scratch path "<cwd>/<name>.<pid>" (removed first). */
static inline const char *test_path(const char *name) {
  static char buf[8][4096];
  static int k;
  char cwd[2048];
  char *p = buf[k++ % 8];
  if (!getcwd(cwd, sizeof cwd))
    strcpy(cwd, "/tmp");
  snprintf(p, 4096, "%s/%s.%ld", cwd, name, (long)getpid());
  unlink(p);
  return p;
}

/* "file://" + path, in a static buffer. */
static inline const char *test_file_url(const char *path) {
  static char buf[4][4400];
  static int k;
  char *p = buf[k++ % 4];
  snprintf(p, 4400, "file://%.4300s", path);
  return p;
}

/* Sums of one function over the lines of a JSONL file. */
struct fn_sum {
  uint64_t calls, errors, lines;
  double ms;
  char department[64];
  uint64_t weight;
};

/* Whether a "hist" extension is ascending [bucket, count] pairs. */
static inline int valid_hist(const cJSON *h) {
  double last = -1;
  const cJSON *pair;
  if (!cJSON_IsArray(h) || cJSON_GetArraySize(h) == 0)
    return 0;
  cJSON_ArrayForEach(pair, h) {
    const cJSON *b = cJSON_GetArrayItem(pair, 0),
                *c = cJSON_GetArrayItem(pair, 1);
    if (cJSON_GetArraySize(pair) != 2 || !cJSON_IsNumber(b) ||
        !cJSON_IsNumber(c) || b->valuedouble <= last ||
        b->valuedouble >= CNSM_HIST_BUCKETS || c->valuedouble < 1)
      return 0;
    last = b->valuedouble;
  }
  return 1;
}

/* Checks one function object has exactly the six contract fields, and
 * beside them only well-formed extensions (a file:// sink gets them:
 * docs/ingest-contract.md). */
static inline int strict_function(const cJSON *f) {
  static const char *keys[] = {"name",  "department", "value_weight",
                               "calls", "errors",     "total_ms"};
  int n = 0;
  const cJSON *it;
  cJSON_ArrayForEach(it, f) {
    int known = 0;
    for (int k = 0; k < 6; k++)
      known |= strcmp(it->string, keys[k]) == 0;
    if (!known && strcmp(it->string, "hist") == 0 && valid_hist(it))
      continue;
    if (!known && strcmp(it->string, "file") == 0 && cJSON_IsString(it))
      continue;
    if (!known && strcmp(it->string, "line") == 0 && cJSON_IsNumber(it) &&
        it->valuedouble >= 1)
      continue;
    if (!known) {
      fprintf(stderr, "unexpected key %s\n", it->string);
      return 0;
    }
    n++;
  }
  return n == 6 &&
         cJSON_IsString(cJSON_GetObjectItemCaseSensitive(f, "name")) &&
         cJSON_IsString(cJSON_GetObjectItemCaseSensitive(f, "department")) &&
         cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(f, "value_weight")) &&
         cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(f, "calls")) &&
         cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(f, "errors")) &&
         cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(f, "total_ms"));
}

/* Adds up function name over every line of path; checks the format of
 * every line strictly.  Returns the number of lines, or -1 when a line is
 * malformed. */
static inline long sum_jsonl(const char *path, const char *name,
                             struct fn_sum *out) {
  memset(out, 0, sizeof *out);
  FILE *f = fopen(path, "r");
  if (!f)
    return 0;
  char *line = NULL;
  size_t cap = 0;
  long lines = 0, bad = 0;
  while (getline(&line, &cap, f) > 0) {
    lines++;
    cJSON *root = cJSON_Parse(line);
    const cJSON *fns = cJSON_GetObjectItemCaseSensitive(root, "functions");
    if (!cJSON_IsArray(fns) || cJSON_GetArraySize(root) != 1) {
      bad++;
      cJSON_Delete(root);
      continue;
    }
    const cJSON *fn;
    cJSON_ArrayForEach(fn, fns) {
      if (!strict_function(fn)) {
        bad++;
        continue;
      }
      if (strcmp(cJSON_GetObjectItemCaseSensitive(fn, "name")->valuestring,
                 name) != 0)
        continue;
      out->lines++;
      out->calls +=
          (uint64_t)cJSON_GetObjectItemCaseSensitive(fn, "calls")->valuedouble;
      out->errors +=
          (uint64_t)cJSON_GetObjectItemCaseSensitive(fn, "errors")->valuedouble;
      out->ms += cJSON_GetObjectItemCaseSensitive(fn, "total_ms")->valuedouble;
      out->weight =
          (uint64_t)cJSON_GetObjectItemCaseSensitive(fn, "value_weight")
              ->valuedouble;
      snprintf(out->department, sizeof out->department, "%s",
               cJSON_GetObjectItemCaseSensitive(fn, "department")->valuestring);
    }
    cJSON_Delete(root);
  }
  free(line);
  fclose(f);
  return bad ? -1 : lines;
}

#endif /* CNSM_TEST_UTIL_H */
