/*
 * test_encode.c - the numbers of the ingest body: total_ms from ns, with up
 * to six decimals and no trailing zeros, exact at every magnitude.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

int main(void) {
  static const struct {
    uint64_t ns;
    const char *ms;
  } cases[] = {
      {0, "0"},
      {1, "0.000001"},
      {10, "0.00001"},
      {100, "0.0001"},
      {999999, "0.999999"},
      {1000000, "1"},
      {1000001, "1.000001"},
      {1230000, "1.23"},
      {123456789, "123.456789"},
      {5000000000ull, "5000"},
      {UINT64_MAX, "18446744073709.551615"},
  };
  int failures = 0;
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char out[32];
    cnsm_format_ms(out, cases[i].ns);
    if (strcmp(out, cases[i].ms) != 0) {
      fprintf(stderr, "%llu ns: got %s, expected %s\n",
              (unsigned long long)cases[i].ns, out, cases[i].ms);
      failures++;
    }
  }
  printf("%zu passed, %d failed\n", sizeof cases / sizeof *cases - failures,
         failures);
  return failures != 0;
}
