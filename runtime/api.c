/* SPDX-License-Identifier: Apache-2.0
 *
 * api.c - the runtime's entry points above its layers: the module
 * constructor's __codensm_register, codensm.h's codensm_init,
 * codensm_flush and codensm_shutdown, and the process's exit.
 *
 * These are the calls that start things: a registration or codensm_init
 * may start the background flusher; exit sends what is left and prints
 * the report.  From the top they call down into the settings, the
 * registry and the flusher, none of which calls up (docs/architecture.md,
 * scripts/runtime-layers): the registry knows the flusher only as the
 * function to run at a thread's first call into a module, which is where
 * a fork child starts its own.  The hot path's entry points stay with it
 * (hooks.c, registry.c, clock.c).
 *
 * Fork: each layer that holds state a child must fix installs its own
 * pthread_atfork handlers.  Those of the settings, the registry and the
 * deltas are installed when the library loads, before anything can be
 * counted, and again (harmlessly) by every entry point here, for a module
 * whose constructor runs before this library's in a static link; each
 * installs those below it first, the order fork needs.  The flusher's,
 * and those of the frozen batches, the spool, the encoder and the HTTP
 * sink, whose state the flusher thread makes, are installed then too:
 * installed by that thread at its first use, a fork running meanwhile in
 * another thread skipped them (cnsm_flusher_init_once).
 */
#include "codensm.h"
#include "internal.h"

/* The layers' fork handlers, and the flusher's start at a first use.
 * Reads no setting and says nothing: it runs at load time. */
static void layers_init(void) {
  cnsm_snapshot_init_once(); /* after the settings' and the registry's */
  cnsm_sampling_init_once(); /* after the registry's */
  cnsm_flusher_init_once();  /* and those of what it sends through */
  cnsm_registry_on_first_use(cnsm_flusher_maybe_start);
}

static void layers_init_once(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, layers_init);
}

__attribute__((constructor(101))) static void cnsm_at_load(void) {
  layers_init_once();
}

/* Module constructor: registers desc, and starts the flusher when the
 * settings want one. */
CNSM_EXPORT void __codensm_register(const struct cnsm_module_desc *desc) {
  layers_init_once();
  cnsm_register(desc);
  cnsm_registry_start_durable();
  cnsm_flusher_maybe_start();
}

/* codensm_init may have given another endpoint or key: an open live file
 * follows them (it is named and keyed by the sink). */
static void live_file_follows_sink(void) {
  struct cnsm_config c = cnsm_config_current();
  if (!c.endpoint || !cnsm_durable_active())
    return;
  char sink[65];
  cnsm_sink_hash(c.endpoint, c.api_key, sink);
  cnsm_durable_set_sink(sink);
}

/* Public: applies cfg over the environment. */
CNSM_EXPORT int codensm_init(const struct codensm_config *cfg) {
  layers_init_once();
  cnsm_config_ensure();
  if (!cfg)
    return 0;
  int rc = cnsm_config_apply(cfg);
  live_file_follows_sink();
  cnsm_registry_start_durable();
  cnsm_flusher_maybe_start();
  return rc;
}

/* Public: sends every delta now. */
CNSM_EXPORT int codensm_flush(void) {
  layers_init_once();
  cnsm_config_ensure();
  return cnsm_flusher_flush();
}

/* Public: final send, then the thread stops.  Idempotent. */
CNSM_EXPORT void codensm_shutdown(void) {
  layers_init_once();
  cnsm_config_ensure();
  cnsm_flusher_finish(0);
}

/* Process exit, after the modules' destructors: priority 101 is the last
 * to run in a static link; in the shared library, ELF order already runs
 * it after the executable's and its dependents' destructors. */
__attribute__((destructor(101))) static void cnsm_at_exit(void) {
  cnsm_registry_close();
  cnsm_config_ensure();
  cnsm_flusher_finish(1);
  if (__atomic_load_n(&cnsm_cfg.report, __ATOMIC_RELAXED) && !cnsm_sealed())
    cnsm_report_print(stderr);
}
