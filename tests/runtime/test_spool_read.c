/* SPDX-License-Identifier: Apache-2.0
 *
 * test_spool_read.c - a deltas file read in place (spool_read.c,
 * json_scan.c): what each member becomes in the function table.
 *
 * One hand-written file holds what the encoder never writes but a file
 * may: members in any order and given twice (the first counts, as
 * cJSON's lookup read them), escapes of every kind (a surrogate pair
 * too), a count beyond 2^53 (exact), a histogram's buckets out of order
 * and twice, a caller named twice, white space anywhere.  Then files that
 * must load nothing: another sink's, one cut short at every byte, a
 * malformed escape, a lone surrogate, nesting deeper than any spool
 * file's.  And a file the encoder wrote reads back as written.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "test_util.h"

static const char kSink[] =
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static const char kFile[] =
    "{ \"endpoint\": \"http://x\",\n"
    "  \"functions\": [\n"
    "   7, {\"callers\": [{\"calls\": 4, \"name\": \"x.caller\"},\n"
    "                 {\"name\": \"x.caller\", \"calls\": 1},\n"
    "                 {\"name\": \"x.zero\", \"calls\": 0}],\n"
    "    \"hist\": [[3, 2], [1, 1], [3, 1], [99999, 5], [-1, 5], [2]],\n"
    "    \"name\": \"a\\\"b\\\\c\\/\\u00e9\\ud83d\\ude00\\t\",\n"
    "    \"department\": \"d\", \"value_weight\": 3,\n"
    "    \"calls\": 18446744073709551615, \"calls\": 1,\n"
    "    \"errors\": 5, \"total_ns\": 1000, \"line\": 7, \"file\": \"f.c\",\n"
    "    \"unknown\": {\"deep\": [true, false, null, -1.5e3]}},\n"
    "   {\"name\": \"x.caller\", \"department\": \"callers\",\n"
    "    \"value_weight\": 2, \"calls\": 2, \"errors\": 9, \"total_ns\": "
    "1.5e3}\n"
    "  ],\n"
    "  \"sink\": "
    "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"\n"
    "}\n";

static const struct cnsm_fn *fn(const char *name) { return cnsm_fn_find(name); }

/* Whether text loads nothing (its result is not 0) and changes no figure. */
static void loads_nothing(const char *text, size_t len) {
  const struct cnsm_fn *e = fn("x.caller");
  uint64_t before = e ? e->pend_calls : 0;
  CHECK(cnsm_spool_parse(text, len, kSink, NULL) != 0);
  e = fn("x.caller");
  CHECK_EQ(e ? e->pend_calls : 0, before);
}

int main(void) {
  CHECK_EQ(cnsm_spool_parse(kFile, strlen(kFile), kSink, NULL), 0);
  /* The tab, a control character, becomes U+FFFD (sanitize.c). */
  const struct cnsm_fn *a = fn("a\"b\\c/\xc3\xa9\xf0\x9f\x98\x80\xef\xbf\xbd");
  const struct cnsm_fn *caller = fn("x.caller");
  CHECK(a && caller && !fn("x.zero"));
  if (!a || !caller)
    TEST_DONE();
  CHECK_EQ(a->pend_calls, UINT64_MAX);
  CHECK_EQ(a->pend_errors, 5);
  CHECK_EQ(a->pend_ns, 1000);
  CHECK_EQ(a->compiled_weight, 3);
  CHECK(strcmp(a->compiled_department, "d") == 0);
  CHECK(a->file && strcmp(a->file, "f.c") == 0 && a->line == 7);
  CHECK_EQ(a->hist.n, 2);
  if (a->hist.n == 2) {
    CHECK(a->hist.pairs[0].bucket == 1 && a->hist.pairs[0].count == 1);
    CHECK(a->hist.pairs[1].bucket == 3 && a->hist.pairs[1].count == 3);
  }
  CHECK_EQ(a->callers.n, 1);
  if (a->callers.n == 1) {
    CHECK_EQ(a->callers.pairs[0].bucket, (size_t)(caller - cnsm_fns));
    CHECK_EQ(a->callers.pairs[0].count, 5);
  }
  /* Named as a caller first, its own item's department and weight. */
  CHECK(strcmp(caller->compiled_department, "callers") == 0);
  CHECK_EQ(caller->compiled_weight, 2);
  CHECK_EQ(caller->pend_calls, 2);
  CHECK_EQ(caller->pend_errors, 2); /* errors at most calls */
  CHECK_EQ(caller->pend_ns, 1500);

  /* Loaded twice, twice the figures. */
  CHECK_EQ(cnsm_spool_parse(kFile, strlen(kFile), kSink, NULL), 0);
  CHECK_EQ(caller->pend_calls, 4);

  /* Another sink's: 1, nothing loaded. */
  char other[sizeof kFile];
  memcpy(other, kFile, sizeof kFile);
  *strstr(other, "0123456789abcdef\"") = 'f';
  CHECK_EQ(cnsm_spool_parse(other, strlen(other), kSink, NULL), 1);
  CHECK_EQ(caller->pend_calls, 4);

  /* Cut short anywhere before its closing brace: nothing. */
  size_t whole = strrchr(kFile, '}') - kFile;
  for (size_t len = 0; len < whole; len++)
    loads_nothing(kFile, len);

  static const char *const bad[] = {
      "{\"sink\":\"S\",\"functions\":[{\"name\":\"x.caller\",\"calls\":1,"
      "\"department\":\"\\x\"}]}",
      "{\"sink\":\"S\",\"functions\":[{\"name\":\"x.caller\",\"calls\":1,"
      "\"department\":\"\\ud83d\"}]}",
      "{\"sink\":\"S\",\"functions\":[{\"name\":\"x.caller\",\"calls\":1,"
      "\"department\":01}]}",
      "{\"sink\":\"S\",\"functions\":[{\"name\":\"x.caller\",\"calls\":1}],"
      "\"deep\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
      "]]]]]]}",
      "{\"sink\":\"S\",\"functions\":[{\"name\":\"x.caller\",\"calls\":1}]"
      "\"extra\":1}",
  };
  for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
    char text[512];
    const char *s = strstr(bad[k], "\"S\"");
    snprintf(text, sizeof text, "%.*s\"%s\"%s", (int)(s - bad[k]), bad[k],
             kSink, s + 3);
    loads_nothing(text, strlen(text));
  }

  /* What the encoder writes reads back as written. */
  struct cnsm_delta d = {.name = "enc.\"quoted\"\xe2\x82\xac",
                         .department = "dept\\",
                         .weight = 9,
                         .calls = 11,
                         .errors = 3,
                         .ns = 123456789};
  char *text = cnsm_encode_deltas_file(kSink, "http://x", &d, 1);
  CHECK(text != NULL);
  if (text) {
    CHECK_EQ(cnsm_spool_parse(text, strlen(text), kSink, NULL), 0);
    free(text);
  }
  const struct cnsm_fn *enc = fn("enc.\"quoted\"\xe2\x82\xac");
  CHECK(enc && enc->pend_calls == 11 && enc->pend_errors == 3 &&
        enc->pend_ns == 123456789 && enc->compiled_weight == 9 &&
        strcmp(enc->compiled_department, "dept\\") == 0);
  TEST_DONE();
}
