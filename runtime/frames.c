/* SPDX-License-Identifier: Apache-2.0
 *
 * frames.c - this thread's open timed frames, innermost on top, each named
 * by its chunk and slot and placed by the stack address of its start.
 *
 * Two questions of the sampled path need them.  Is a timed call inside
 * another timed call of the same function?  The pass keeps depths only for
 * the recursion it can see (a cycle of its unit's call graph); through a
 * pointer or another unit a function is entered again unseen (Lua's
 * luaD_pcall reaches itself through f_call, luaV_execute through every C
 * function that calls back), and each inner frame's time was counted again
 * inside the outer one's: lua_pcallk 2.5 s in a run of 1.1 s.  And was a
 * timed call left without a stop (a longjmp out of it)?
 *
 * A frame lives below its callers on the stack (addresses grow down), so
 * a recorded frame at or below a new start's address, or below a stop's,
 * is gone: it was left by a longjmp (or a coroutine switched stacks).
 * Such frames are noted as left, for their function's next start.  A frame
 * left so and not yet seen gone (its longjmp landed in a frame that has
 * made no timed call since) may stand above a new frame of its function,
 * which then counts as nested: no time, until a timed call from higher up
 * clears it.
 *
 * Only timed frames are seen: a timed frame inside an untimed frame of its
 * function still counts its time (docs/instrumentation.md).
 */
#include "internal.h"

/* Timed frames of different functions open at once that are remembered;
 * a frame nested in one of its own function's is not recorded, so the
 * stack holds one frame per function at most (and left frames not yet
 * seen gone).  Beyond it a frame is timed as outermost. */
#define OPEN_FRAMES 32u
/* Left frames remembered until their function's next start,
 * direct-mapped: a collision forgets one. */
#define LEFT_FRAMES 8u

/* A frame in 8 bytes, so that the thread's static TLS stays small (a
 * page more of it costs every thread of the program 4 KB): its function's
 * slot in the thread's chunks, by address / 32, in 32 bits (unique among
 * slots within 128 GB of each other; only compared, never read: a frame
 * may outlive its chunk, dlclose), and the low 32 bits of the stack
 * address of its start, compared as differences (a thread's stack spans
 * far less than 2 GB). */
struct frame {
  uint32_t slot;
  uint32_t stack;
};

static __thread struct {
  uint32_t depth;
  struct frame open[OPEN_FRAMES];
  uint32_t left[LEFT_FRAMES];
} frames __attribute__((tls_model("initial-exec")));

static uint32_t slot_id(const struct cnsm_slot *s) {
  return (uint32_t)((uintptr_t)s / sizeof *s);
}

/* Whether stack address a is below (deeper than) b. */
static int below(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }

static uint32_t *left_place(uint32_t slot) {
  return &frames.left[slot % LEFT_FRAMES];
}

/* The top frame is gone without a stop. */
static void pop_left(void) {
  uint32_t slot = frames.open[--frames.depth].slot;
  *left_place(slot) = slot;
}

/* Whether the function had a frame left without a stop since its last
 * start; forgets it.  (Slot 0 would be a chunk at address 0.) */
static int take_left(uint32_t slot) {
  uint32_t *place = left_place(slot);
  if (*place != slot)
    return 0;
  *place = 0;
  return 1;
}

int cnsm_frame_inside(const struct cnsm_slot *s, uintptr_t stack, int *left) {
  uint32_t slot = slot_id(s), at = (uint32_t)stack;
  /* Frames recorded below this start are gone, and so is one of its
   * function at its very address (called again where a longjmp left it).
   * Another function's frame at its address is a caller's whose body
   * holds this call's hooks, inlined (Lua's precallC in luaD_precall). */
  const struct frame *top;
  while (frames.depth &&
         (below((top = &frames.open[frames.depth - 1])->stack, at) ||
          (top->stack == at && top->slot == slot)))
    pop_left();
  *left = take_left(slot);
  for (uint32_t d = frames.depth; d--;)
    if (frames.open[d].slot == slot)
      return 1;
  return 0;
}

void cnsm_frame_start(const struct cnsm_slot *s, uintptr_t stack) {
  if (frames.depth == OPEN_FRAMES)
    return; /* timed as outermost, unrecorded */
  frames.open[frames.depth] = (struct frame){slot_id(s), (uint32_t)stack};
  /* A signal handler that records frames in between finds the frame
   * written before it counts (and leaves depth as it found it). */
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
  frames.depth++;
}

void cnsm_frame_stop(const struct cnsm_slot *s, uintptr_t stack) {
  uint32_t slot = slot_id(s), at = (uint32_t)stack;
  while (frames.depth && below(frames.open[frames.depth - 1].stack, at))
    pop_left();
  /* Its own frame is the innermost of its function (a deeper one stopped
   * or was popped above); frames above it are gone. */
  uint32_t d = frames.depth;
  while (d && frames.open[d - 1].slot != slot)
    d--;
  if (!d)
    return; /* not recorded: the stack was full */
  while (frames.depth > d)
    pop_left();
  frames.depth--;
}
