/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_live.c - libFuzzer target for the reader of dead processes' live
 * files (runtime/live_read.c: cnsm_live_parse), built with
 * -fsanitize=fuzzer,address,undefined.
 *
 * A live file lies in the spool directory, which is not trusted: a crash
 * may have cut it anywhere, another user or a bug may have written it.
 * The input is the file after its header (the header is made here, with
 * the input's first bytes as its states and offsets, so the fuzzer does
 * not spend its time on the magic).  Besides crashes and sanitizer
 * reports, this checks what the reader promises its caller: every
 * function it reports has errors <= calls and NUL-ended strings, the
 * batch in flight a NUL-ended key of at most 63 bytes and a NUL-ended
 * body, and an absorbed name no '/'. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "internal.h"
#include "live_format.h"

static const char kSink[] =
    "0000000000000000000000000000000000000000000000000000000000000000";

static void on_function(void *ctx, const char *name, const char *department,
                        uint32_t weight, uint64_t calls, uint64_t errors,
                        uint64_t ns) {
  (void)ctx, (void)weight, (void)ns;
  fuzz_check(errors <= calls);
  fuzz_check(strlen(name) + strlen(department) < (1u << 30));
}

static void on_batch(void *ctx, const char *key, const char *body) {
  (void)ctx;
  fuzz_check(strlen(key) < 64);
  fuzz_check(strlen(body) < (1u << 30));
}

static void on_handed_off(void *ctx, const char *stem) {
  (void)ctx;
  fuzz_check(strlen(stem) < 64 && !strchr(stem, '/') && !strchr(stem, '.'));
}

static void on_absorbed(void *ctx, const char *name) {
  (void)ctx;
  fuzz_check(*name && !strchr(name, '/'));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct cnsm_live_header h = {.magic = CNSM_LIVE_MAGIC,
                               .version = CNSM_LIVE_VERSION,
                               .header_size = CNSM_LIVE_HEADER};
  memcpy(h.sink, kSink, sizeof kSink);
  /* The states and offsets: from the input's first 40 bytes. */
  uint64_t fields[5] = {0};
  size_t head = size < sizeof fields ? size : sizeof fields;
  memcpy(fields, data, head);
  h.absorb_state = fields[0] % 3;
  h.handoff_state = (fields[0] >> 8) & 1;
  memcpy(h.handoff, data, size < sizeof h.handoff ? size : sizeof h.handoff);
  h.absorbed_off = fields[1];
  h.inflight_state = fields[2] & 1;
  h.inflight_off = fields[3];
  h.pend_saved_off = fields[4];
  size_t len = CNSM_LIVE_HEADER + size - head;
  h.end = len;
  char *file = calloc(1, len);
  if (!file)
    return 0;
  memcpy(file, &h, sizeof h);
  memcpy(file + CNSM_LIVE_HEADER, data + head, size - head);
  struct cnsm_live_reader all = {.function = on_function,
                                 .batch = on_batch,
                                 .absorbed = on_absorbed,
                                 .handed_off = on_handed_off};
  struct cnsm_live_reader names = {.absorbed = on_absorbed,
                                   .handed_off = on_handed_off};
  cnsm_live_parse(file, len, kSink, &names);
  cnsm_live_parse(file, len, kSink, &all);
  fuzz_check(cnsm_live_parse(file, len, "another sink", &all) == 1);
  free(file);
  return 0;
}
