/* SPDX-License-Identifier: Apache-2.0
 *
 * test_frames.c - the thread's open timed frames (frames.c) at stack
 * addresses the test chooses: a start inside a timed frame of its own
 * function (recursion through a pointer), the hooks of an inlined callee
 * at its caller's very address (Lua's precallC in luaD_precall: they must
 * not hide the caller's frame), frames left by a longjmp (seen gone by a
 * start level with them or above, or by a stop above them, and reported
 * once to their function's next start), and a full stack.
 */
#define _GNU_SOURCE
#include "internal.h"
#include "test_util.h"

/* Distinct functions: slots of one chunk-like array. */
static struct cnsm_slot fn[40];
enum { F, G, H, K };

/* A start at stack: whether it is nested; records it when not. */
static int start(int f, uintptr_t stack, int *left) {
  int inside = cnsm_frame_inside(&fn[f], stack, left);
  if (!inside)
    cnsm_frame_start(&fn[f], stack);
  return inside;
}

static int start_fresh(int f, uintptr_t stack) {
  int left;
  int inside = start(f, stack, &left);
  CHECK_EQ(left, 0);
  return inside;
}

int main(void) {
  int left;
  /* Recursion through a pointer: F, G under it, F again under G. */
  CHECK_EQ(start_fresh(F, 10000), 0);
  CHECK_EQ(start_fresh(G, 9000), 0);
  CHECK_EQ(start_fresh(F, 8000), 1);
  cnsm_frame_stop(&fn[G], 8990); /* a stop sits a little lower */
  cnsm_frame_stop(&fn[F], 9990);
  /* All closed: F again is outermost, nothing was left. */
  CHECK_EQ(start_fresh(F, 10000), 0);
  /* An inlined callee G records its frame at F's address; F entered
   * again below it is still inside F. */
  CHECK_EQ(start_fresh(G, 10000), 0);
  CHECK_EQ(start_fresh(F, 9000), 1);
  cnsm_frame_stop(&fn[G], 9990);
  cnsm_frame_stop(&fn[F], 9990);

  /* A longjmp out of H and K (under F) back into F's caller: F's next
   * start at its old address finds them all gone, F itself left. */
  CHECK_EQ(start_fresh(F, 10000), 0);
  CHECK_EQ(start_fresh(H, 9000), 0);
  CHECK_EQ(start_fresh(K, 8000), 0);
  CHECK_EQ(start(F, 10000, &left), 0);
  CHECK_EQ(left, 1);
  /* Each left function is told once, at its next start. */
  CHECK_EQ(start(H, 9000, &left), 0);
  CHECK_EQ(left, 1);
  CHECK_EQ(start(H, 8500, &left), 1); /* H's new frame is open above */
  CHECK_EQ(left, 0);
  cnsm_frame_stop(&fn[H], 8990);
  cnsm_frame_stop(&fn[F], 9990);
  CHECK_EQ(start(K, 8000, &left), 0);
  CHECK_EQ(left, 1);
  cnsm_frame_stop(&fn[K], 7990);

  /* A stop above frames left under it (a longjmp into the stopping
   * function): they go, and are told. */
  CHECK_EQ(start_fresh(F, 10000), 0);
  CHECK_EQ(start_fresh(G, 9000), 0);
  cnsm_frame_stop(&fn[F], 9990);
  CHECK_EQ(start(G, 9000, &left), 0);
  CHECK_EQ(left, 1);
  cnsm_frame_stop(&fn[G], 8990);

  /* A function's frame at another's address is not taken for its own:
   * a longjmp left F at 10000, G starts there, F's stale frame stays
   * (documented: F nested until a start or stop above clears it). */
  CHECK_EQ(start_fresh(F, 10000), 0);
  CHECK_EQ(start_fresh(G, 10000), 0);
  cnsm_frame_stop(&fn[G], 9990);
  CHECK_EQ(start_fresh(F, 9000), 1);
  CHECK_EQ(start(K, 10100, &left), 0); /* above it: F is gone */
  CHECK_EQ(start(F, 10000, &left), 0);
  CHECK_EQ(left, 1);
  cnsm_frame_stop(&fn[F], 9990);
  cnsm_frame_stop(&fn[K], 10090);

  /* A full stack: 32 functions recorded, the 33rd is not; so its nested
   * frame is not seen, and its stop changes nothing below it. */
  for (int f = 0; f < 32; f++)
    CHECK_EQ(start_fresh(f, 100000 - 1000 * (uintptr_t)f), 0);
  CHECK_EQ(start_fresh(33, 60000), 0);
  CHECK_EQ(start_fresh(33, 59000), 0);
  cnsm_frame_stop(&fn[33], 58990);
  cnsm_frame_stop(&fn[33], 59990);
  CHECK_EQ(start_fresh(0, 58000), 1); /* the outermost is still open */
  for (int f = 32; f--;)
    cnsm_frame_stop(&fn[f], 100000 - 1000 * (uintptr_t)f - 10);
  CHECK_EQ(start_fresh(0, 100000), 0);
  cnsm_frame_stop(&fn[0], 99990);
  TEST_DONE();
}
