/* SPDX-License-Identifier: Apache-2.0 */
/* words.c - splitting lines and counting words. */
#include <string.h>

#include "words.h"

static void add_word(struct table *t, const char *w, size_t n) {
  for (int i = 0; i < t->distinct; i++)
    if (strlen(t->word[i]) == n && strncmp(t->word[i], w, n) == 0) {
      t->count[i]++;
      return;
    }
  if (t->distinct < 32 && n < 16) {
    memcpy(t->word[t->distinct], w, n);
    t->count[t->distinct++] = 1;
  }
}

/* Returns the number of words, or -1 for an empty line (an error:
 * .codensm.yaml gives count_line the `negative` convention). */
int count_line(struct table *t, const char *line) {
  int n = 0;
  for (const char *p = line; *p;) {
    while (*p == ' ')
      p++;
    const char *start = p;
    while (*p && *p != ' ')
      p++;
    if (p > start) {
      add_word(t, start, (size_t)(p - start));
      n++;
    }
  }
  t->words += n;
  return n > 0 ? n : -1;
}

int lookup(const struct table *t, const char *word) {
  for (int i = 0; i < t->distinct; i++)
    if (strcmp(t->word[i], word) == 0)
      return t->count[i];
  return 0;
}
