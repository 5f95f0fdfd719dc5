/* SPDX-License-Identifier: Apache-2.0
 *
 * live_format.h - the layout of a live file: a process's counters and what
 * it needs to deliver them, in a file mapping that outlives the process
 * (durable.c writes it, live_read.c reads a dead process's).
 *
 * A live file is <spool>/<H16>-<pid>-<ns>.live (H as spool.c names sinks),
 * mode 0600, held with flock(LOCK_EX) by its process for as long as it
 * runs: a file nobody holds belongs to a process that is gone (killed,
 * crashed, exec'd) and may be read.  Layout, all little-endian host words:
 *
 *   header (CNSM_LIVE_HEADER bytes)
 *   blocks, each 64-byte aligned, starting with struct cnsm_live_block:
 *     REGION    an arena region (arena.c); each chunk in it is preceded
 *               by a struct cnsm_live_tag naming its module and chunk
 *     FN        one function of the table: name, department, weight, and
 *               what the sink acknowledged and what is pending for it
 *     MODULE    a module's functions, as FN indices, by slot
 *     INFLIGHT  the batch being sent: key, body, and the acknowledgements
 *               its success sets
 *     NAMES     spool files whose figures this file took over (absorb)
 *     PEND      what was pending before the take-over running (absorb)
 *
 * A fork child handing its figures to its parent at exit (spool.c) writes
 * them to a spool file and names it in the header (handoff) before the
 * file takes its name: whatever the moment it dies, they are read once.
 *
 * A block's magic is written last, so a block cut short by a kill is
 * skipped (a reader steps 64 bytes and looks again).  Nothing here is
 * trusted by the reader: every size and index is checked.
 */
#ifndef CNSM_LIVE_FORMAT_H
#define CNSM_LIVE_FORMAT_H

#include <stdint.h>

#define CNSM_LIVE_MAGIC 0x31656c69566d734eull /* "NsmVile1" */
#define CNSM_LIVE_BLOCK 0x6b636f6c42736d4eull /* "NsmBlock" */
#define CNSM_LIVE_TAG 0x6b6e756843736d4eull   /* "NsmChunk" */
#define CNSM_LIVE_VERSION 1u
#define CNSM_LIVE_HEADER 4096u
#define CNSM_LIVE_SUFFIX ".live"
/* In a live directory of /dev/shm: a symbolic link to the spool directory
 * it belongs to (durable.c, takeover.c). */
#define CNSM_LIVE_SPOOL_LINK ".spool"
/* The largest live file a reader maps. */
#define CNSM_LIVE_FILE_MAX (1ull << 32)

/* header.absorb_state: taking over earlier processes' spool files. */
enum cnsm_absorb_state {
  CNSM_ABSORB_NONE = 0,
  CNSM_ABSORB_RUNNING = 1, /* pending figures not yet complete: ignore
                              them, the files still hold theirs; what was
                              pending before is in the PEND block at
                              pend_saved_off (0: nothing was) */
  CNSM_ABSORB_DONE = 2     /* pending figures complete: the files named by
                              absorbed_off are this file's, remove them */
};

/* header.handoff_state: a fork child's exit (spool.c, handoff.c). */
enum cnsm_handoff_state {
  CNSM_HANDOFF_NONE = 0,
  CNSM_HANDOFF_DONE = 1 /* every figure is in the spool file named by
                           handoff: read none of this file's */
};

struct cnsm_live_header {
  uint64_t magic;
  uint32_t version, header_size;
  char sink[72]; /* SHA-256 hex of endpoint "\n" key, NUL-ended */
  uint64_t end;  /* bytes allocated, header included */
  uint64_t absorb_state;
  uint64_t absorbed_off;   /* a NAMES block, or 0 */
  uint64_t inflight_state; /* 1: the INFLIGHT block at inflight_off holds */
  uint64_t inflight_off;
  /* CNSM_HANDOFF_DONE: every figure of this file is in the spool file
   * handoff names (a fork child's exit, spool.c), <live>/<handoff>.json,
   * or still in <live>/.<handoff>.tmp, which a reader renames to it
   * (<live>: this file's directory; the spool directory in files of
   * earlier runtimes, where a reader looks too).
   * The file's own figures are not to be read.  (Zero in files of earlier
   * runtimes; a reader of an earlier runtime ignores it, so a child
   * killed between the rename and its exit's unlink is counted twice by
   * such a reader: the version was kept, as a new one would make earlier
   * readers set every newer live file aside.) */
  uint64_t handoff_state;
  char handoff[64];
  /* CNSM_ABSORB_RUNNING: the PEND block of the figures pending when the
   * take-over began, or 0.  A process whose sends all fail (a refused
   * key, a collector down) keeps figures pending for as long as that
   * lasts, and takes its fork children's spool files over meanwhile: a
   * take-over it dies in must not lose them.  (Zero in files of earlier
   * runtimes, which never took over with figures pending; a reader of an
   * earlier runtime ignores it and loses them, the version kept as above.) */
  uint64_t pend_saved_off;
};

enum cnsm_live_type {
  CNSM_LIVE_REGION = 1,
  CNSM_LIVE_FN = 2,
  CNSM_LIVE_MODULE = 3,
  CNSM_LIVE_INFLIGHT = 4,
  CNSM_LIVE_NAMES = 5,
  CNSM_LIVE_PEND = 6
};

struct cnsm_live_block {
  uint64_t magic; /* CNSM_LIVE_BLOCK, written last */
  uint32_t type, reserved;
  uint64_t size; /* bytes, this header included, a multiple of 64 */
  uint64_t pad[5];
};

/* What the sink acknowledged of a function, and what is pending. */
struct cnsm_live_acks {
  uint64_t ack_calls, ack_errors, ack_ns;
  uint64_t pend_calls, pend_errors, pend_ns;
};

struct cnsm_live_fn {
  uint64_t index; /* in the table of the process that wrote it */
  uint32_t weight, name_len, dept_len;
  uint32_t flags; /* CNSM_LIVE_FN_*; 0 in files of earlier runtimes */
  struct cnsm_live_acks acks;
  /* name NUL department NUL, then (flags CNSM_LIVE_FN_ESTIMATE) at the
   * next multiple of 8: struct cnsm_live_estimate */
};
/* The record has a struct cnsm_live_estimate after its strings. */
#define CNSM_LIVE_FN_ESTIMATE 1u
/* The bytes of a record's strings, up to where its estimate starts. */
static inline uint64_t cnsm_live_fn_strings(uint64_t name_len,
                                            uint64_t dept_len) {
  return (name_len + dept_len + 2 + 7) & ~(uint64_t)7;
}

/* What the process's estimate of the function's time took from outside
 * its counters at its last snapshot (snapshot.c): the calls timed at
 * period 1 and their ticks, and the ticks cut off for good as beyond the
 * time that passed.  A reader estimates as the process did, so it never
 * sends again what the process cut. */
struct cnsm_live_estimate {
  uint64_t certain_calls, certain_ticks, cut_ticks;
};

struct cnsm_live_module {
  uint64_t serial;
  uint64_t count;
  /* count uint64_t: FN index per slot, or CNSM_LIVE_NOT_COUNTED */
};
#define CNSM_LIVE_NOT_COUNTED UINT64_MAX

/* Precedes each chunk in a region. */
struct cnsm_live_tag {
  uint64_t magic; /* CNSM_LIVE_TAG, written last */
  uint64_t serial, k, bytes;
  uint64_t pad[4];
};

/* One function of the in-flight batch: what its acknowledgement becomes
 * when the batch is stored. */
struct cnsm_live_item {
  uint64_t index;
  struct cnsm_live_acks after;
};

struct cnsm_live_inflight {
  char key[64];
  uint64_t body_len, count;
  /* count struct cnsm_live_item, then body_len bytes of body, NUL */
};

struct cnsm_live_names {
  uint64_t len; /* then len bytes: names, each NUL-ended */
};

/* A function's pending figures (a PEND block: a count, then count of
 * these). */
struct cnsm_live_pend_item {
  uint64_t index; /* its FN record's */
  uint64_t calls, errors, ns;
};

struct cnsm_live_pend {
  uint64_t count;
};

#endif
