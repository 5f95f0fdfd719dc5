/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_env.c - libFuzzer target for the environment parser
 * (runtime/config.c: cnsm_config_from_env, and env_names.c), built with
 * -fsanitize=fuzzer,address,undefined.
 *
 * The input is lines; line i sets the i-th CODENSM_* variable of the list
 * below (a line "CODENSM_X=value" sets that variable instead, for the
 * misspelling check).  Besides crashes, it checks the parser's promises:
 * durations are finite and positive, the sampling period a power of two,
 * an endpoint kept only when valid, every department valid for the
 * contract and every weight within it. */
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "internal.h"
#include "util.h" /* collector/util.h: cnsm_utf8_valid */

static const char *const kVars[] = {
    "CODENSM_ENDPOINT",      "CODENSM_API_KEY",     "CODENSM_FLUSH_INTERVAL",
    "CODENSM_EXIT_TIMEOUT",  "CODENSM_DEPARTMENTS", "CODENSM_WEIGHTS",
    "CODENSM_SAMPLE_PERIOD", "CODENSM_DISABLE",     "CODENSM_REPORT",
    "CODENSM_DEBUG",         "CODENSM_SPOOL_DIR",
};
#define NVARS (sizeof kVars / sizeof *kVars)

static int quiet = -1, saved = -1;

/* Sends stderr to /dev/null while the parser warns (expected), and back
 * for libFuzzer's own reports. */
static void mute(int on) {
  fflush(stderr);
  if (quiet < 0) {
    quiet = open("/dev/null", O_WRONLY);
    saved = dup(2);
  }
  if (quiet >= 0 && saved >= 0)
    dup2(on ? quiet : saved, 2);
}

/* Sets the variables from the input's lines; the names set, in *extra. */
static void set_env(char *text, char extra[8][64], int *n_extra) {
  size_t i = 0;
  *n_extra = 0;
  for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
    char *eq = strchr(line, '=');
    if (strncmp(line, "CODENSM_", 8) == 0 && eq && eq - line < 60 &&
        *n_extra < 8) {
      snprintf(extra[*n_extra], 64, "%.*s", (int)(eq - line), line);
      setenv(extra[(*n_extra)++], eq + 1, 1);
    } else if (i < NVARS) {
      setenv(kVars[i++], line, 1);
    }
  }
}

/* Every rule's department valid, every weight within the contract. */
static void check_maps(const struct cnsm_config *c) {
  for (size_t i = 0; i < c->departments.count; i++) {
    const char *v = c->departments.rules[i].value;
    fuzz_check(v && *v && strlen(v) <= CNSM_DEPARTMENT_MAX &&
               cnsm_utf8_valid(v, strlen(v)));
  }
  for (size_t i = 0; i < c->weights.count; i++)
    fuzz_check(c->weights.rules[i].weight <= CNSM_WEIGHT_MAX);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = fuzz_text(data, size);
  if (!text)
    return 0;
  if (strlen(text) != size) { /* the environment holds no NUL */
    free(text);
    return 0;
  }
  char extra[8][64];
  int n_extra;
  set_env(text, extra, &n_extra);
  struct cnsm_config c = {
      .flush_interval_s = 15.0, .exit_timeout_s = 2.0, .sample_period = 64};
  mute(1);
  cnsm_config_from_env(&c);
  mute(0);
  fuzz_check(isfinite(c.flush_interval_s) && c.flush_interval_s > 0);
  fuzz_check(isfinite(c.exit_timeout_s) && c.exit_timeout_s >= 0);
  fuzz_check(c.sample_period && !(c.sample_period & (c.sample_period - 1)));
  fuzz_check(!c.endpoint || cnsm_endpoint_valid(c.endpoint));
  check_maps(&c);
  for (size_t i = 0; i < NVARS; i++)
    unsetenv(kVars[i]);
  for (int i = 0; i < n_extra; i++)
    unsetenv(extra[i]);
  free(text);
  return 0; /* c's strings leak, as the runtime's do: -detect_leaks=0 */
}
