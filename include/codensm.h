/* SPDX-License-Identifier: Apache-2.0
 *
 * codensm.h - the public interface of CodeNSM for C and C++.
 *
 * Two things live here:
 *   - the runtime API (codensm_init, codensm_flush, codensm_shutdown), which
 *     programs may call but never need to: libcodensm configures itself from
 *     the environment and flushes in the background and at exit;
 *   - the annotation macros the CodeNSM pass reads from
 *     __attribute__((annotate("codensm:..."))).  On compilers other than
 *     clang they expand to nothing; under clang without the plugin the
 *     annotations stay in llvm.metadata and never reach the object file.
 *
 * See docs/configuration.md.
 */
#ifndef CODENSM_H
#define CODENSM_H

#ifdef __cplusplus
extern "C" {
#endif

/* Settings for codensm_init().  Zero or NULL fields keep what the
 * environment (CODENSM_*) or the default says.  Set struct_size to
 * sizeof(struct codensm_config) so later versions can add fields. */
struct codensm_config {
  unsigned struct_size;
  const char *endpoint;    /* http(s)://... or file:///abs/path.jsonl */
  const char *api_key;     /* sent as Authorization: Bearer <key> */
  double flush_interval_s; /* background flush period, default 15 */
  double exit_timeout_s;   /* bounded wait for the send at exit, default 2 */
  const char *spool_dir;   /* where unsent deltas wait for the next process */
  const char *departments; /* "prefix=dept,prefix=dept" overrides */
  const char *weights;     /* "prefix=9,prefix=3" overrides */
  int disable;             /* 1: count, but send nothing */
  int report;              /* 1: print the per-function table at exit */
  int debug;               /* 1: say what the runtime does on stderr */
};

/* Applies cfg over the environment.  Returns 0, or -1 when a value was bad
 * (a warning was printed and the default kept).  May be called any time;
 * instrumented code counts before and after it. */
int codensm_init(const struct codensm_config *cfg);

/* Sends every delta now; returns when the sink acknowledged (0) or after
 * the send failed or timed out (-1).  Unsent deltas stay for the next try. */
int codensm_flush(void);

/* Final flush, then stops the background flusher.  Idempotent. */
void codensm_shutdown(void);

#ifdef __cplusplus
}
#endif

#if defined(__clang__)
#define CODENSM_ANNOTATE_(text) __attribute__((annotate(text)))
#else
#define CODENSM_ANNOTATE_(text)
#endif

#define CODENSM_STRINGIFY_(x) #x

/* The department this function works for, e.g. CODENSM_DEPARTMENT("payments").
 */
#define CODENSM_DEPARTMENT(name) CODENSM_ANNOTATE_("codensm:department=" name)
/* What one successful call earns the business, a whole number >= 0. */
#define CODENSM_WEIGHT(n)                                                      \
  CODENSM_ANNOTATE_("codensm:weight=" CODENSM_STRINGIFY_(n))
/* Return-value conventions that make a normal return count as an error. */
#define CODENSM_ERRORS_WHEN_NEGATIVE                                           \
  CODENSM_ANNOTATE_("codensm:errors=negative")
#define CODENSM_ERRORS_WHEN_NONZERO CODENSM_ANNOTATE_("codensm:errors=nonzero")
#define CODENSM_ERRORS_WHEN_ZERO CODENSM_ANNOTATE_("codensm:errors=zero")
#define CODENSM_ERRORS_WHEN_NULL CODENSM_ANNOTATE_("codensm:errors=null")
#define CODENSM_ERRORS_WHEN_FALSE CODENSM_ANNOTATE_("codensm:errors=false")
/* Never instrument this function (no_instrument_function leaves no trace in
 * IR). */
#define CODENSM_SKIP CODENSM_ANNOTATE_("codensm:skip")
/* Instrument this function even when its file is not included. */
#define CODENSM_TRACK CODENSM_ANNOTATE_("codensm:track")

#endif /* CODENSM_H */
