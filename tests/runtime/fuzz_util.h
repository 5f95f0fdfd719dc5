/* SPDX-License-Identifier: Apache-2.0
 *
 * fuzz_util.h - what the runtime's libFuzzer targets share: a failed
 * property is a crash libFuzzer reports, and inputs become C strings.
 */
#ifndef CNSM_FUZZ_UTIL_H
#define CNSM_FUZZ_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Aborts unless cond holds: libFuzzer reports it as a crash. */
static inline void fuzz_check(int cond) {
  if (!cond)
    abort();
}

/* The input as a malloc'd NUL-ended string; NULL when out of memory. */
static inline char *fuzz_text(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (!text)
    return NULL;
  memcpy(text, data, size);
  text[size] = '\0';
  return text;
}

#endif /* CNSM_FUZZ_UTIL_H */
