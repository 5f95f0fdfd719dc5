/* SPDX-License-Identifier: Apache-2.0
 *
 * test_sanitize.c - cnsm_sanitize_string: what the contract accepts comes
 * back as it was, the rest valid UTF-8 of at most max bytes (an invalid
 * byte or a control becomes U+FFFD, a cut falls between sequences), and
 * *changed says which.  Printable ASCII, a prefix of it, and the cut
 * inside it take the copy-whole path; everything after the first other
 * byte the sequence-by-sequence one. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "test_util.h"

static void expect(const char *in, size_t max, const char *want,
                   int want_changed) {
  int changed = -1;
  char *out = cnsm_sanitize_string(in, max, "?", &changed);
  CHECK(out != NULL);
  if (strcmp(out, want) != 0 || changed != want_changed) {
    fprintf(stderr,
            "sanitize(\"%s\", %zu) = \"%s\" (changed %d), want \"%s\" (%d)\n",
            in ? in : "(null)", max, out, changed, want, want_changed);
    exit(1);
  }
  free(out);
}

int main(void) {
  /* As it was. */
  expect("shop.checkout", 512, "shop.checkout", 0);
  expect("app::Box<int>::get", 512, "app::Box<int>::get", 0);
  expect("caf\xc3\xa9.latte", 512, "caf\xc3\xa9.latte", 0);
  expect("x\xe2\x82\xac", 512, "x\xe2\x82\xac", 0);
  /* Empty, NULL: the fallback (changed only when a string was given). */
  expect("", 512, "?", 1);
  expect(NULL, 512, "?", 0);
  /* Invalid bytes and controls after an ASCII prefix, and at the start. */
  expect("dlv.bad\xff\xfe.x", 512, "dlv.bad\xef\xbf\xbd\xef\xbf\xbd.x", 1);
  expect("tab\there", 512, "tab\xef\xbf\xbdhere", 1);
  expect("\x7f", 512, "\xef\xbf\xbd", 1);
  /* Cut inside the ASCII prefix, at max; and between sequences after it. */
  expect("abcdefgh", 5, "abcde", 1);
  expect("abcdefgh", 8, "abcdefgh", 0);
  expect("ab\xc3\xa9\xc3\xa9", 5, "ab\xc3\xa9", 1);
  expect("abc\xc3\xa9", 4, "abc", 1);
  /* Long printable ASCII: copied whole up to the contract's 512 bytes. */
  char long_name[700];
  memset(long_name, 'n', sizeof long_name - 1);
  long_name[sizeof long_name - 1] = '\0';
  char want[513];
  memset(want, 'n', 512);
  want[512] = '\0';
  expect(long_name, 512, want, 1);
  puts("test_sanitize: ok");
  return 0;
}
