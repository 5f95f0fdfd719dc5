/*
 * registry.c - modules, their per-thread counter blocks, and threads.
 *
 * Each instrumented module has one thread_local block of counters per
 * thread (see codensm_abi.h).  The registry links every block twice: into
 * its module's list (so the flusher can sum a module's threads) and into
 * its thread's list (so the thread's exit can fold its blocks away before
 * the memory goes).  A block's counters survive it in three places, which
 * together with the live blocks make a function's current total:
 *
 *   - module->retired: blocks of exited threads, folded by the pthread key
 *     destructor;
 *   - the table entry's base: modules that unregistered (dlclose, exit).
 *
 * Locking: lists are pushed lock-free (compare-and-swap on the head) and
 * only ever removed from under cnsm_registry_lock.  With a single remover,
 * removal is safe against concurrent pushes: a push only changes the head
 * and its own node.  So __codensm_attach takes no lock and allocates
 * nothing once its module is registered and its thread known; the first
 * registration of a module takes the lock and allocates.
 *
 * Nothing here depends on constructor order: all state is statically
 * initialised, and __codensm_attach may come before __codensm_register.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "internal.h"

pthread_mutex_t cnsm_registry_lock = PTHREAD_MUTEX_INITIALIZER;
struct cnsm_module *cnsm_modules;
/* Unregistered modules.  Their records are never freed, since a racing
 * attach may still hold one; listing them keeps them reachable, so leak
 * checkers (LeakSanitizer, valgrind) do not report the app's exit. */
static struct cnsm_module *cnsm_unloaded_modules;

/* A thread that attached blocks.  Lives in this library's TLS. */
struct cnsm_thread {
  struct cnsm_tls_block *blocks; /* via next_in_thread */
  struct cnsm_thread *next;
  int linked; /* in the threads list and keyed for exit */
};

static __thread struct cnsm_thread self;
static struct cnsm_thread *threads; /* pushed lock-free */
static pthread_key_t exit_key;
static pthread_once_t registry_once = PTHREAD_ONCE_INIT;

/* ---- lock-free push, locked removal ------------------------------------ */

/* Which link of a block a list uses. */
enum link { IN_MODULE, IN_THREAD };

/* Address of a block's link for list l. */
static struct cnsm_tls_block **link_of(struct cnsm_tls_block *b, enum link l) {
  return l == IN_MODULE ? &b->next_in_module : &b->next_in_thread;
}

/* Pushes b on *head; lock-free, callable from any thread. */
static void push_block(struct cnsm_tls_block **head, struct cnsm_tls_block *b,
                       enum link l) {
  struct cnsm_tls_block *old = __atomic_load_n(head, __ATOMIC_ACQUIRE);
  do
    CNSM_STORE(link_of(b, l), old);
  while (!__atomic_compare_exchange_n(head, &old, b, 1, __ATOMIC_RELEASE,
                                      __ATOMIC_ACQUIRE));
}

/* Removes b from *head.  Registry lock held (the only remover). */
static void remove_block(struct cnsm_tls_block **head, struct cnsm_tls_block *b,
                         enum link l) {
  struct cnsm_tls_block *expected = b;
  struct cnsm_tls_block *next = CNSM_LOAD(link_of(b, l));
  if (__atomic_compare_exchange_n(head, &expected, next, 0, __ATOMIC_ACQ_REL,
                                  __ATOMIC_ACQUIRE))
    return;
  /* b is not the head, and pushes only change the head: walk. */
  for (struct cnsm_tls_block *p = expected; p; p = CNSM_LOAD(link_of(p, l)))
    if (CNSM_LOAD(link_of(p, l)) == b) {
      CNSM_STORE(link_of(p, l), next);
      return;
    }
}

/* Removes t from the threads list, the same way.  Registry lock held. */
static void remove_thread(struct cnsm_thread *t) {
  struct cnsm_thread *expected = t;
  struct cnsm_thread *next = CNSM_LOAD(&t->next);
  if (__atomic_compare_exchange_n(&threads, &expected, next, 0,
                                  __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
    return;
  for (struct cnsm_thread *p = expected; p; p = CNSM_LOAD(&p->next))
    if (CNSM_LOAD(&p->next) == t) {
      CNSM_STORE(&p->next, next);
      return;
    }
}

/* ---- folding ------------------------------------------------------------ */

/* Adds block b's counters into acc[0..n). */
static void add_block(struct cnsm_slot *acc, struct cnsm_tls_block *b,
                      uint32_t n) {
  for (uint32_t i = 0; i < n; i++)
    cnsm_slot_add_live(&acc[i], cnsm_block_slot(b, i));
}

/* Zeroes block b and clears its attached flag; its own thread only. */
static void clear_block(struct cnsm_tls_block *b, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    struct cnsm_slot *s = cnsm_block_slot(b, i);
    CNSM_STORE(&s->calls, 0);
    CNSM_STORE(&s->errors, 0);
    CNSM_STORE(&s->samples, 0);
    CNSM_STORE(&s->ticks, 0);
  }
  CNSM_STORE(&b->attached, 0);
}

/* The runtime's record of desc, or NULL. */
static struct cnsm_module *module_of(const struct cnsm_module_desc *desc) {
  return __atomic_load_n((struct cnsm_module **)desc->runtime_state,
                         __ATOMIC_ACQUIRE);
}

/* Folds b into its module's retired totals and unlinks it from the module.
 * Registry lock held. */
static void retire_block(struct cnsm_tls_block *b) {
  struct cnsm_module *m = module_of(b->module);
  if (!m)
    return;
  add_block(m->retired, b, m->desc->function_count);
  remove_block(&m->blocks, b, IN_MODULE);
}

/* pthread key destructor: the thread is exiting, fold its blocks. */
static void thread_exit(void *arg) {
  struct cnsm_thread *t = arg;
  pthread_mutex_lock(&cnsm_registry_lock);
  struct cnsm_tls_block *b = __atomic_exchange_n(&t->blocks, NULL,
                                                 __ATOMIC_ACQ_REL);
  while (b) {
    struct cnsm_tls_block *next = CNSM_LOAD(&b->next_in_thread);
    uint32_t n = b->module->function_count;
    retire_block(b);
    clear_block(b, n); /* a later destructor's call re-attaches */
    b = next;
  }
  remove_thread(t);
  t->linked = 0;
  pthread_mutex_unlock(&cnsm_registry_lock);
}

/* ---- fork ---------------------------------------------------------------- */

/* Before fork: no registry change may be half done in the child. */
static void fork_prepare(void) { pthread_mutex_lock(&cnsm_registry_lock); }

/* In the parent: nothing changes. */
static void fork_parent(void) { pthread_mutex_unlock(&cnsm_registry_lock); }

/* In the child: only the forking thread exists.  Fold every block away
 * (the other threads' blocks are memory nobody will write again; ours are
 * zeroed so that our next calls re-attach and start our own flusher), then
 * take the current totals as acknowledged: the child reports only its own
 * calls. */
static void fork_child(void) {
  for (struct cnsm_thread *t = threads; t; t = t->next) {
    for (struct cnsm_tls_block *b = t->blocks, *next; b; b = next) {
      next = b->next_in_thread;
      uint32_t n = b->module->function_count;
      retire_block(b);
      if (t == &self)
        clear_block(b, n);
    }
    t->blocks = NULL;
  }
  threads = NULL;
  self.blocks = NULL;
  self.linked = 0;
  cnsm_snapshot();
  cnsm_acknowledge_all_current();
  cnsm_spool_forget();
  cnsm_http_forget();
  cnsm_flusher_after_fork_child();
  pthread_mutex_unlock(&cnsm_registry_lock);
}

/* Once per process: the exit key and the fork handlers. */
static void registry_init(void) {
  pthread_key_create(&exit_key, thread_exit);
  pthread_atfork(fork_prepare, fork_parent, fork_child);
}

void cnsm_registry_init_once(void) {
  pthread_once(&registry_once, registry_init);
}

/* ---- modules -------------------------------------------------------------- */

/* Builds m->entry: the table index of each of the module's functions. */
int cnsm_module_map(struct cnsm_module *m) {
  if (m->entry)
    return 0;
  uint32_t n = m->desc->function_count;
  size_t *entry = malloc((n ? n : 1) * sizeof *entry);
  if (!entry)
    return -1;
  for (uint32_t i = 0; i < n; i++) {
    const struct cnsm_function_info *f = &m->desc->functions[i];
    entry[i] = cnsm_fn_intern(f->name, f->department, f->weight);
    if (entry[i] == SIZE_MAX) {
      free(entry);
      return -1;
    }
  }
  m->entry = entry;
  return 0;
}

/* Registers desc if it is not yet (registry lock held). */
static struct cnsm_module *register_locked(const struct cnsm_module_desc *desc) {
  struct cnsm_module *m = module_of(desc);
  if (m)
    return m;
  if (desc->abi_version != CODENSM_ABI_VERSION) {
    static int warned;
    if (!warned++)
      cnsm_warn("module %s was built for ABI %u, this runtime speaks %u; "
                "not counting it",
                desc->module_name ? desc->module_name : "?",
                desc->abi_version, CODENSM_ABI_VERSION);
    return NULL;
  }
  m = calloc(1, sizeof *m);
  if (!m)
    return NULL;
  m->retired = calloc(desc->function_count ? desc->function_count : 1,
                      sizeof *m->retired);
  if (!m->retired) {
    free(m);
    return NULL;
  }
  m->desc = desc;
  m->next = cnsm_modules;
  cnsm_modules = m;
  __atomic_store_n((struct cnsm_module **)desc->runtime_state, m,
                   __ATOMIC_RELEASE);
  cnsm_debug("registered %s (%u functions)",
             desc->module_name ? desc->module_name : "?",
             desc->function_count);
  return m;
}

/* Everything a first registration or attach needs, whatever the order. */
static void runtime_ensure(void) {
  cnsm_config_ensure();
  cnsm_registry_init_once();
  cnsm_clock_start();
}

/* Module constructor: registers desc. */
CNSM_EXPORT void __codensm_register(const struct cnsm_module_desc *desc) {
  runtime_ensure();
  pthread_mutex_lock(&cnsm_registry_lock);
  register_locked(desc);
  pthread_mutex_unlock(&cnsm_registry_lock);
  cnsm_flusher_maybe_start();
}

/* First sampled call of a module in this thread: links block. */
CNSM_EXPORT void __codensm_attach(const struct cnsm_module_desc *desc,
                                  struct cnsm_tls_block *block) {
  if (CNSM_LOAD(&block->attached))
    return;
  struct cnsm_module *m = module_of(desc);
  if (!m) {
    runtime_ensure();
    pthread_mutex_lock(&cnsm_registry_lock);
    m = register_locked(desc);
    pthread_mutex_unlock(&cnsm_registry_lock);
    if (!m)
      return;
  }
  if (!self.linked) {
    cnsm_registry_init_once();
    self.linked = 1;
    struct cnsm_thread *old = __atomic_load_n(&threads, __ATOMIC_ACQUIRE);
    do
      CNSM_STORE(&self.next, old);
    while (!__atomic_compare_exchange_n(&threads, &old, &self, 1,
                                        __ATOMIC_RELEASE, __ATOMIC_ACQUIRE));
    pthread_setspecific(exit_key, &self);
  }
  block->module = desc;
  push_block(&m->blocks, block, IN_MODULE);
  push_block(&self.blocks, block, IN_THREAD);
  CNSM_STORE(&block->attached, 1);
  cnsm_flusher_maybe_start();
}

/* Module destructor (exit, dlclose): folds the module into the table. */
CNSM_EXPORT void __codensm_unregister(const struct cnsm_module_desc *desc) {
  pthread_mutex_lock(&cnsm_registry_lock);
  struct cnsm_module *m = module_of(desc);
  if (!m) {
    pthread_mutex_unlock(&cnsm_registry_lock);
    return;
  }
  uint32_t n = desc->function_count;
  /* Every live block into retired, and out of its thread's list. */
  for (struct cnsm_tls_block *b = __atomic_load_n(&m->blocks, __ATOMIC_ACQUIRE);
       b; b = CNSM_LOAD(&b->next_in_module))
    add_block(m->retired, b, n);
  for (struct cnsm_thread *t = __atomic_load_n(&threads, __ATOMIC_ACQUIRE); t;
       t = CNSM_LOAD(&t->next)) {
    struct cnsm_tls_block *b = __atomic_load_n(&t->blocks, __ATOMIC_ACQUIRE);
    while (b) {
      struct cnsm_tls_block *next = CNSM_LOAD(&b->next_in_thread);
      if (b->module == desc) {
        remove_block(&t->blocks, b, IN_THREAD);
        if (t == &self)
          clear_block(b, n); /* our later calls re-register the module */
      }
      b = next;
    }
  }
  /* Retired totals into the table, which owns copies of the names. */
  if (cnsm_module_map(m) == 0)
    for (uint32_t i = 0; i < n; i++)
      cnsm_slot_add(&cnsm_fns[m->entry[i]].base, &m->retired[i]);
  struct cnsm_module **pp = &cnsm_modules;
  while (*pp && *pp != m)
    pp = &(*pp)->next;
  if (*pp)
    *pp = m->next;
  __atomic_store_n((struct cnsm_module **)desc->runtime_state, NULL,
                   __ATOMIC_RELEASE);
  free(m->retired);
  free(m->entry);
  /* m itself is kept (a few bytes): a racing attach may still hold it. */
  m->next_unloaded = cnsm_unloaded_modules;
  cnsm_unloaded_modules = m;
  m->retired = NULL;
  m->entry = NULL;
  m->blocks = NULL;
  cnsm_debug("unregistered %s", desc->module_name ? desc->module_name : "?");
  pthread_mutex_unlock(&cnsm_registry_lock);
}
