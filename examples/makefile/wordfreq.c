/* SPDX-License-Identifier: Apache-2.0 */
/* wordfreq.c - counts the words of a few lines of text.  Built by a plain
 * Makefile; `make CC=codensm-clang` instruments it without other changes. */
#include <stdio.h>

#include "words.h"

static const char *const text[] = {
    "the quick brown fox",
    "jumps over the lazy dog",
    "",
    "the end",
};

int main(void) {
  struct table t = {0};
  for (unsigned i = 0; i < sizeof text / sizeof *text; i++)
    if (count_line(&t, text[i]) < 0)
      fprintf(stderr, "wordfreq: line %u is empty\n", i + 1);
  printf("wordfreq: %d words, %d distinct, \"the\" x%d\n", t.words, t.distinct,
         lookup(&t, "the"));
  return 0;
}
