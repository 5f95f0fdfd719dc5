/* SPDX-License-Identifier: Apache-2.0 */
/* words.h - a fixed-size word table. */
#ifndef WORDS_H
#define WORDS_H

struct table {
  char word[32][16];
  int count[32];
  int distinct, words;
};

int count_line(struct table *t, const char *line); /* < 0: empty line */
int lookup(const struct table *t, const char *word);

#endif
