/* SPDX-License-Identifier: Apache-2.0
 *
 * registry.c - modules, threads, and each thread's counters of each module.
 *
 * A thread's counters of a module live in chunks of CNSM_CHUNK_SLOTS slots,
 * found through the thread's directory of that module (codensm_abi.h): the
 * module's thread_local home starts at the module's constant empty
 * directory (and its chunk 0 at the sentinel), and the thread's first call
 * of a chunk's functions comes here (__codensm_chunk) to allocate the
 * chunk, and on its first call into the module the directory, from the
 * thread's own arena (arena.c: no lock, no malloc, safe in a signal
 * handler).  set_home alone writes a home, so its chunk 0 is always its
 * directory's.  Static TLS grows by the home, two pointers per module, and
 * a thread's memory by the chunks it touches.
 *
 * The registry links every directory twice: into its module's list (so
 * the flusher can sum a module's threads) and into its thread's list (so
 * a thread's exit finds its own).  A thread that exits leaves its
 * directories, counts and all, in their modules' lists, and its arena to
 * the next new thread, which adopts both (arena.c): nothing is folded or
 * freed, so the counters that hold a count never change place, and a
 * live file (durable.c) always holds every count of the process.  Only a
 * module that unregisters (dlclose, exit) is folded, into the table
 * entry's base, through module->retired.
 *
 * Locking: lists are pushed lock-free (compare-and-swap on the head) and
 * only ever removed from under cnsm_registry_lock.  With a single remover,
 * removal is safe against concurrent pushes: a push only changes the head
 * and its own node.  The same lock guards the module list and the function
 * table (table.c, snapshot.c); the settings have their own (config.c).  A first
 * use takes no lock once its module is registered; the first registration of a
 * module takes the lock and allocates.  Nothing here depends on constructor
 * order: all state is statically initialised, and a first call may come before
 * __codensm_register.
 */
#define _GNU_SOURCE
#include <link.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Error-checking, so that a thread can tell it holds it already: a signal
 * handler's first call into a module that must be registered (again, after
 * its destructor at exit) may interrupt this thread's own flush, which holds
 * it (ssh's SIGCHLD handler hung its exit). */
pthread_mutex_t cnsm_registry_lock = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
struct cnsm_module *cnsm_modules;
/* Unregistered modules.  Their records are never freed, since a racing
 * first use may still hold one; listing them keeps them reachable, so leak
 * checkers (LeakSanitizer, valgrind) do not report the app's exit. */
static struct cnsm_module *cnsm_unloaded_modules;

/* A thread that has counters.  Lives in this library's TLS. */
struct cnsm_thread {
  struct cnsm_dir *dirs; /* via next_in_thread */
  struct cnsm_arena arena;
  struct cnsm_thread *next;
  int linked; /* in the threads list and keyed for exit */
};

static __thread struct cnsm_thread self;
static struct cnsm_thread *threads; /* pushed lock-free */
static pthread_key_t exit_key;
static pthread_once_t registry_once = PTHREAD_ONCE_INIT;
/* Where counts go when no memory could be had: shared, so inexact, but
 * the program goes on (and the warning says so).  Real, so a call
 * counted there does not come back for allocation on every call. */
static struct cnsm_chunk scratch = {.header = {.real = 1}};

/* Every empty directory's chunks: mask 0 sends every call counted here to
 * the sampled path, whose __codensm_sample_start moves it to the thread's
 * own chunk; its counters are never read. */
CNSM_EXPORT struct cnsm_chunk __codensm_sentinel;

/* ---- lock-free push, locked removal ------------------------------------ */

/* Which link of a directory a list uses. */
enum link { IN_MODULE, IN_THREAD };

/* Address of a directory's link for list l. */
static struct cnsm_dir **link_of(struct cnsm_dir *d, enum link l) {
  return l == IN_MODULE ? &d->next_in_module : &d->next_in_thread;
}

/* Pushes d on *head; lock-free, callable from any thread. */
static void push_dir(struct cnsm_dir **head, struct cnsm_dir *d, enum link l) {
  struct cnsm_dir *old = __atomic_load_n(head, __ATOMIC_ACQUIRE);
  do
    CNSM_STORE(link_of(d, l), old);
  while (!__atomic_compare_exchange_n(head, &old, d, 1, __ATOMIC_RELEASE,
                                      __ATOMIC_ACQUIRE));
}

/* Removes d from *head.  Registry lock held (the only remover). */
static void remove_dir(struct cnsm_dir **head, struct cnsm_dir *d,
                       enum link l) {
  struct cnsm_dir *expected = d;
  struct cnsm_dir *next = CNSM_LOAD(link_of(d, l));
  if (__atomic_compare_exchange_n(head, &expected, next, 0, __ATOMIC_ACQ_REL,
                                  __ATOMIC_ACQUIRE))
    return;
  /* d is not the head, and pushes only change the head: walk. */
  for (struct cnsm_dir *p = expected; p; p = CNSM_LOAD(link_of(p, l)))
    if (CNSM_LOAD(link_of(p, l)) == d) {
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

void cnsm_dir_add(struct cnsm_slot *acc, uint32_t *users,
                  const struct cnsm_dir *d, uint32_t n) {
  struct cnsm_chunk **chunks = cnsm_dir_chunks(d);
  uint32_t count = cnsm_chunk_count(n);
  for (uint32_t k = 0; k < count; k++) {
    struct cnsm_chunk *c = __atomic_load_n(&chunks[k], __ATOMIC_ACQUIRE);
    if (!c || c == &__codensm_sentinel)
      continue;
    uint32_t first = k * CNSM_CHUNK_SLOTS;
    uint32_t last = n - first < CNSM_CHUNK_SLOTS ? n - first : CNSM_CHUNK_SLOTS;
    for (uint32_t j = 0; j < last; j++) {
      cnsm_slot_add_live(&acc[first + j], &c->slots[j]);
      if (users && CNSM_LOAD(&c->slots[j].calls))
        users[first + j]++;
    }
  }
}

/* Points this thread's home of desc at d, desc's or its empty directory,
 * and at d's chunk 0 (the hot path reaches chunk 0 through the home alone:
 * codensm_abi.inc). */
static void set_home(struct cnsm_home *home,
                     const struct cnsm_module_desc *desc,
                     const struct cnsm_dir *d) {
  struct cnsm_chunk *chunk0 =
      CNSM_SLOT_COUNT(desc) ? cnsm_dir_chunks(d)[0] : &__codensm_sentinel;
  __atomic_store_n(&home->chunk0, chunk0, __ATOMIC_RELAXED);
  __atomic_store_n(&home->dir, (struct cnsm_dir *)(uintptr_t)d,
                   __ATOMIC_RELEASE);
}

/* thread_exit and a fork child: directories left by a thread that no
 * longer runs are kept, counters and all (still in their modules' lists,
 * so their counts still count), for a new thread to adopt; home NULL marks
 * them free.  Its arena goes to the spares with them (arena.c).  Registry
 * lock held. */
static void leave_dirs(struct cnsm_thread *t) {
  struct cnsm_dir *dirs = __atomic_exchange_n(&t->dirs, NULL, __ATOMIC_ACQ_REL);
  for (struct cnsm_dir *d = dirs; d; d = CNSM_LOAD(&d->next_in_thread))
    CNSM_STORE(&d->home, NULL);
  cnsm_arena_retire(&t->arena, dirs);
}

/* pthread key destructor: the thread is exiting.  Its modules' pointers go
 * back to their empty directories (a later destructor's instrumented call
 * starts afresh: it adopts or allocates again), and its directories and
 * arena wait for the next new thread. */
static void thread_exit(void *arg) {
  struct cnsm_thread *t = arg;
  pthread_mutex_lock(&cnsm_registry_lock);
  for (struct cnsm_dir *d = CNSM_LOAD(&t->dirs); d;
       d = CNSM_LOAD(&d->next_in_thread)) {
    struct cnsm_home *home = CNSM_LOAD(&d->home);
    if (home) /* NULL: adopted with the arena, never used by this thread */
      set_home(home, d->module, d->module->empty_dir);
  }
  leave_dirs(t);
  remove_thread(t);
  t->linked = 0;
  pthread_mutex_unlock(&cnsm_registry_lock);
}

/* ---- fork ---------------------------------------------------------------- */

/* Before fork: no registry change may be half done in the child. */
static void fork_prepare(void) { pthread_mutex_lock(&cnsm_registry_lock); }

/* In the parent: nothing changes. */
static void fork_parent(void) { pthread_mutex_unlock(&cnsm_registry_lock); }

/* In the child: only the forking thread exists.  The other threads'
 * directories and arenas are left for the child's new threads, as at a
 * thread's exit; ours stay as they are.  Totals do not change; the other
 * layers fix their own state in their own handlers (durable.c gives the
 * child its own live file first, snapshot.c takes the current totals as
 * acknowledged, so the child reports only its own calls). */
static void fork_child(void) {
  for (struct cnsm_thread *t = threads; t; t = t->next)
    if (t != &self)
      leave_dirs(t);
  threads = self.linked ? &self : NULL;
  self.next = NULL;
  /* Made anew rather than unlocked: an error-checking lock belongs to the
   * thread that took it, by its thread id, which the child's thread no
   * longer has. */
  static const pthread_mutex_t unlocked =
      PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
  memcpy(&cnsm_registry_lock, &unlocked, sizeof unlocked);
}

void cnsm_registry_each_own_chunk(void (*fn)(struct cnsm_chunk *c,
                                             uint32_t functions, void *arg),
                                  void *arg) {
  for (struct cnsm_dir *d = __atomic_load_n(&self.dirs, __ATOMIC_ACQUIRE); d;
       d = CNSM_LOAD(&d->next_in_thread)) {
    if (!CNSM_LOAD(&d->home))
      continue; /* left by another thread, to adopt */
    uint32_t n = d->module->function_count;
    struct cnsm_chunk **chunks = cnsm_dir_chunks(d);
    for (uint32_t k = 0; k < cnsm_chunk_count(n); k++) {
      struct cnsm_chunk *c = __atomic_load_n(&chunks[k], __ATOMIC_ACQUIRE);
      if (c != &__codensm_sentinel && c->header.real) {
        uint32_t first = k * CNSM_CHUNK_SLOTS;
        fn(c, n - first < CNSM_CHUNK_SLOTS ? n - first : CNSM_CHUNK_SLOTS, arg);
      }
    }
  }
}

/* The program's own loaded segments: dl_iterate_phdr names it first. */
struct span {
  uintptr_t lo, hi;
};

static int first_object(struct dl_phdr_info *info, size_t size, void *arg) {
  (void)size;
  struct span *s = arg;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD)
      continue;
    uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
    if (!s->hi || lo < s->lo)
      s->lo = lo;
    if (hi > s->hi)
      s->hi = hi;
  }
  return 1; /* the program only */
}

/* The program's span, found once by registry_init: not under the
 * registry's lock, which a constructor that dlopen runs may be waiting
 * for while an older glibc's dl_iterate_phdr waits for the loader's. */
static struct span program;

/* Whether desc is the program's own, not a shared object's: the program
 * is never unloaded, so its memory lasts until the process ends. */
static int in_executable(const struct cnsm_module_desc *desc) {
  uintptr_t at = (uintptr_t)desc;
  return at >= program.lo && at < program.hi;
}

/* Once per process: the exit key and the fork handlers.  The
 * configuration's come first: a fork takes the registry lock, then the
 * configuration's (prepare handlers run in reverse order). */
/* The process is exiting: set by an atexit handler, which runs before the
 * modules' destructors only if it was registered after the dynamic
 * loader's own (_dl_fini, registered as main begins): so at a thread's
 * first call, not in this library's constructor, where it ran last.
 * What is folded after it can only be told by the exit flush. */
static int exiting;

static void note_exit(void) { __atomic_store_n(&exiting, 1, __ATOMIC_RELEASE); }

static void watch_exit(void) { atexit(note_exit); }

static void registry_init(void) {
  dl_iterate_phdr(first_object, &program);
  cnsm_config_init_once();
  cnsm_durable_init_once(); /* its child handler first: the child's pages */
  pthread_key_create(&exit_key, thread_exit);
  pthread_atfork(fork_prepare, fork_parent, fork_child);
}

void cnsm_registry_init_once(void) {
  pthread_once(&registry_once, registry_init);
}

/* ---- modules --------------------------------------------------------------
 */

size_t cnsm_fn_index_of(const struct cnsm_module_desc *desc, uint32_t slot) {
  for (struct cnsm_module *m = cnsm_modules; m; m = m->next)
    if (m->desc == desc) {
      if (slot >= desc->function_count || cnsm_module_map(m) != 0)
        return SIZE_MAX;
      size_t i = m->entry[slot];
      return i == CNSM_NOT_COUNTED ? SIZE_MAX : i;
    }
  return SIZE_MAX;
}

/* The slots whose counts are calls of a function: the functions', and,
 * when an edge's count is also its callee's calls (an inlined copy of the
 * callee follows each of its sites and counts nothing: ABI 10), the
 * edges' after them. */
static uint32_t counting_slots(const struct cnsm_module_desc *desc) {
  for (uint32_t e = 0; e < desc->edge_count; e++)
    if (desc->edges[e].flags & CNSM_EDGE_COUNTS_CALLEE)
      return CNSM_SLOT_COUNT(desc);
  return desc->function_count;
}

/* Maps m's edges after its functions: an edge whose count is its
 * callee's calls to the callee's entry, any other to none. */
static void map_edges(const struct cnsm_module_desc *desc, size_t *entry,
                      uint32_t count) {
  uint32_t n = desc->function_count;
  for (uint32_t i = n; i < count; i++) {
    const struct cnsm_edge_info *edge = &desc->edges[i - n];
    entry[i] = (edge->flags & CNSM_EDGE_COUNTS_CALLEE) && edge->callee < n
                   ? entry[edge->callee]
                   : CNSM_NOT_COUNTED;
  }
}

/* Builds m->entry: the table index of each of the module's functions, and
 * of the edges whose counts are their callees' calls. */
int cnsm_module_map(struct cnsm_module *m) {
  if (m->entry)
    return 0;
  uint32_t n = m->desc->function_count;
  uint32_t count = counting_slots(m->desc);
  size_t *entry = malloc((count ? count : 1) * sizeof *entry);
  if (!entry)
    return -1;
  for (uint32_t i = 0; i < n; i++) {
    const struct cnsm_function_info *f = &m->desc->functions[i];
    if (f->flags & CNSM_FN_NOT_INSTRUMENTED) {
      entry[i] = CNSM_NOT_COUNTED;
      cnsm_note_not_instrumented(f->name);
      continue;
    }
    entry[i] = cnsm_fn_intern(f->name, f->department, f->weight);
    if (entry[i] == SIZE_MAX) {
      free(entry);
      return -1;
    }
    cnsm_fn_set_source(entry[i], f->file, f->line);
  }
  map_edges(m->desc, entry, count);
  m->entry = entry;
  m->entry_count = count;
  cnsm_callers_note_symbols(m);
  return 0;
}

/* Writes m's slots, and its functions' records, to the live file, so a
 * reader can name its chunks.  Registry lock held. */
static void record_module(struct cnsm_module *m) {
  /* Mapping makes the table entries, with their records (table.c). */
  if (m->recorded || !cnsm_durable_active() || cnsm_module_map(m) != 0)
    return;
  m->recorded = cnsm_durable_module(m->serial, m->entry_count, m->entry) == 0;
}

void cnsm_registry_start_durable(void) {
  if (cnsm_durable_tried() ||
      !__atomic_load_n(&cnsm_sink_wanted, __ATOMIC_ACQUIRE))
    return;
  struct cnsm_config c = cnsm_config_current();
  if (!c.live_file || !c.endpoint || cnsm_durable_active())
    return;
  char sink[65];
  cnsm_sink_hash(c.endpoint, c.api_key, sink);
  if (cnsm_durable_open(c.spool_dir, sink) != 0)
    return;
  pthread_mutex_lock(&cnsm_registry_lock);
  cnsm_fn_make_all_live();
  for (struct cnsm_module *m = cnsm_modules; m; m = m->next)
    record_module(m);
  pthread_mutex_unlock(&cnsm_registry_lock);
}

/* Registers desc if it is not yet (registry lock held). */
static struct cnsm_module *
register_locked(const struct cnsm_module_desc *desc) {
  struct cnsm_module *m = cnsm_module_of(desc);
  if (m)
    return m;
  if (cnsm_refused(desc)) {
    static int warned;
    if (!warned++)
      cnsm_warn("module %s was built for ABI %u, this runtime speaks %u; "
                "not counting it",
                desc->module_name ? desc->module_name : "?", desc->abi_version,
                CODENSM_ABI_VERSION);
    return NULL;
  }
  m = calloc(1, sizeof *m);
  if (!m)
    return NULL;
  m->retired = calloc(CNSM_SLOT_COUNT(desc) ? CNSM_SLOT_COUNT(desc) : 1,
                      sizeof *m->retired);
  if (!m->retired) {
    free(m);
    return NULL;
  }
  static uint64_t serials;
  m->serial = ++serials;
  m->desc = desc;
  m->in_executable = in_executable(desc);
  m->next = cnsm_modules;
  cnsm_modules = m;
  __atomic_store_n((struct cnsm_module **)desc->runtime_state, m,
                   __ATOMIC_RELEASE);
  cnsm_debug("registered %s (%u functions)",
             desc->module_name ? desc->module_name : "?", desc->function_count);
  record_module(m);
  return m;
}

/* Set once the exit flush begins (cnsm_registry_close). */
static int closed;

void cnsm_registry_close(void) {
  __atomic_store_n(&closed, 1, __ATOMIC_RELEASE);
}

/* Everything a first registration or use needs, whatever the order. */
static void runtime_ensure(void) {
  cnsm_config_ensure();
  cnsm_registry_init_once();
  cnsm_clock_start();
}

/* Registers desc (the module constructor's __codensm_register, api.c). */
void cnsm_register(const struct cnsm_module_desc *desc) {
  runtime_ensure();
  pthread_mutex_lock(&cnsm_registry_lock);
  register_locked(desc);
  pthread_mutex_unlock(&cnsm_registry_lock);
}

/* What a thread's first call into a module also runs, once set. */
static void (*first_use_hook)(void);

void cnsm_registry_on_first_use(void (*hook)(void)) {
  __atomic_store_n(&first_use_hook, hook, __ATOMIC_RELEASE);
}

/* Takes a spare arena and its directories, if the registry lock is free
 * (this may run in a signal handler that interrupted its holder: then the
 * thread starts with an arena of its own). */
static void adopt_spare(void) {
  if (self.arena.regions || pthread_mutex_trylock(&cnsm_registry_lock) != 0)
    return;
  struct cnsm_dir *d = cnsm_arena_adopt(&self.arena);
  while (d) {
    struct cnsm_dir *next = CNSM_LOAD(&d->next_in_thread);
    push_dir(&self.dirs, d, IN_THREAD); /* home NULL: free to adopt */
    d = next;
  }
  pthread_mutex_unlock(&cnsm_registry_lock);
}

/* This thread's left directory of desc (home NULL), made its own, or NULL. */
static struct cnsm_dir *adopt_dir(const struct cnsm_module_desc *desc,
                                  struct cnsm_home *home) {
  for (struct cnsm_dir *d = __atomic_load_n(&self.dirs, __ATOMIC_ACQUIRE); d;
       d = CNSM_LOAD(&d->next_in_thread))
    if (d->module == desc && !CNSM_LOAD(&d->home)) {
      CNSM_STORE(&d->home, home);
      return d;
    }
  return NULL;
}

/* Links this thread into the threads list and keys its exit, once; a new
 * thread adopts a spare arena first. */
static void link_self(void) {
  if (self.linked)
    return;
  cnsm_registry_init_once();
  adopt_spare();
  self.linked = 1;
  struct cnsm_thread *old = __atomic_load_n(&threads, __ATOMIC_ACQUIRE);
  do
    CNSM_STORE(&self.next, old);
  while (!__atomic_compare_exchange_n(&threads, &old, &self, 1,
                                      __ATOMIC_RELEASE, __ATOMIC_ACQUIRE));
  pthread_setspecific(exit_key, &self);
}

/* Says once that counts go to the shared scratch chunk. */
static struct cnsm_chunk *out_of_memory(void) {
  static int warned;
  if (!__atomic_exchange_n(&warned, 1, __ATOMIC_RELAXED))
    cnsm_warn("out of memory for counters; some calls are counted "
              "inexactly");
  return &scratch;
}

/* This thread's directory of desc, made on its first call into the
 * module: NULL when the module cannot be registered or memory is out, or
 * (*held set) when this thread holds the registry lock already: a signal
 * handler that interrupted the runtime's own work on this thread. */
static struct cnsm_dir *first_use(const struct cnsm_module_desc *desc,
                                  struct cnsm_home *home, int *held) {
  struct cnsm_module *m = cnsm_module_of(desc);
  if (!m && __atomic_load_n(&closed, __ATOMIC_ACQUIRE)) {
    /* PostgreSQL's SIGTERM handler, in a backend's exit flush: its
     * registration's calloc waited for the heap lock the flush held. */
    *held = 1; /* not counted, and not said: nothing is lacking */
    return NULL;
  }
  if (!m) {
    runtime_ensure();
    if (pthread_mutex_lock(&cnsm_registry_lock) != 0) {
      *held = 1; /* EDEADLK */
      return NULL;
    }
    m = register_locked(desc);
    pthread_mutex_unlock(&cnsm_registry_lock);
    if (!m)
      return NULL;
    /* A call before the module's constructor (a static initialiser's):
     * the live file first, as the constructor opens it, so that this
     * thread's counters are allocated in it.  In anonymous memory they
     * stayed there, and a process ending in _exit() or a kill lost all
     * the thread ever counted (every KJ_MAIN program: capnproto trial). */
    cnsm_registry_start_durable();
  }
  static pthread_once_t exit_watched = PTHREAD_ONCE_INIT;
  pthread_once(&exit_watched, watch_exit);
  link_self();
  struct cnsm_dir *d = adopt_dir(desc, home);
  if (!d) {
    uint32_t count = cnsm_chunk_count(CNSM_SLOT_COUNT(desc));
    d = cnsm_arena_alloc(&self.arena,
                         sizeof *d + count * sizeof(struct cnsm_chunk *));
    if (!d)
      return NULL;
    d->module = desc;
    d->home = home;
    cnsm_dir_reset(d, CNSM_SLOT_COUNT(desc));
    push_dir(&m->dirs, d, IN_MODULE);
    push_dir(&self.dirs, d, IN_THREAD);
  }
  set_home(home, desc, d);
  void (*hook)(void) = __atomic_load_n(&first_use_hook, __ATOMIC_ACQUIRE);
  if (hook)
    hook();
  return d;
}

/* The first of desc's edges whose caller's slot is first or later.  The
 * pass numbers edges caller by caller, in slot order (codensm_abi.inc). */
static uint32_t first_edge_from(const struct cnsm_module_desc *desc,
                                uint64_t first) {
  uint32_t lo = 0, hi = desc->edge_count;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (desc->edges[mid].caller < first)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

static struct cnsm_chunk *make_real(const struct cnsm_module_desc *desc,
                                    struct cnsm_dir *d, uint64_t k);

/* Makes real the chunks that hold the edges of chunk k's functions: an
 * edge's count goes untested into its chunk (the pass relies on its
 * caller's entry having run), so that chunk must be real as soon as the
 * caller's is.  Only the chunk holding both the last functions and the
 * first edges has edges of its own among them: the recursion is shallow. */
static void make_edges_real(const struct cnsm_module_desc *desc,
                            struct cnsm_dir *d, uint64_t k) {
  uint64_t first_caller = k * CNSM_CHUNK_SLOTS;
  if (!desc->edge_count || first_caller >= desc->function_count)
    return;
  uint32_t from = first_edge_from(desc, first_caller);
  uint32_t to = first_edge_from(desc, first_caller + CNSM_CHUNK_SLOTS);
  if (from == to)
    return;
  uint64_t last = (desc->function_count + (uint64_t)to - 1) / CNSM_CHUNK_SLOTS;
  for (uint64_t e = (desc->function_count + (uint64_t)from) / CNSM_CHUNK_SLOTS;
       e <= last; e++)
    (void)make_real(desc, d, e); /* out of memory: those edges are lost */
}

/* Chunk k of d, allocated and its edges' chunks too when it is still the
 * sentinel; NULL when memory is out. */
static struct cnsm_chunk *make_real(const struct cnsm_module_desc *desc,
                                    struct cnsm_dir *d, uint64_t k) {
  struct cnsm_chunk **slot = &cnsm_dir_chunks(d)[k];
  struct cnsm_chunk *c = __atomic_load_n(slot, __ATOMIC_RELAXED);
  if (c != &__codensm_sentinel)
    return c;
  const struct cnsm_module *m = cnsm_module_of(desc);
  if (!(c = cnsm_arena_alloc_chunk(&self.arena, m ? m->serial : 0, k)))
    return NULL;
  c->header.real = 1;
  __atomic_store_n(slot, c, __ATOMIC_RELEASE);
  struct cnsm_home *home = CNSM_LOAD(&d->home);
  if (k == 0 && home)
    set_home(home, desc, d);
  make_edges_real(desc, d, k);
  return c;
}

struct cnsm_chunk *cnsm_chunk_get(const struct cnsm_module_desc *desc,
                                  uint64_t k) {
  if (cnsm_refused(desc))
    return &scratch; /* never read; no lock, no allocation, per call */
  if (k >= cnsm_chunk_count(CNSM_SLOT_COUNT(desc)))
    return &scratch; /* not a slot the pass made: never happens */
  struct cnsm_home *home = desc->dir_ref(desc);
  struct cnsm_dir *d = __atomic_load_n(&home->dir, __ATOMIC_RELAXED);
  int held = 0;
  if (d == desc->empty_dir && !(d = first_use(desc, home, &held)))
    return held ? &scratch : out_of_memory(); /* lost, in a signal handler */
  struct cnsm_chunk *c = make_real(desc, d, k);
  return c ? c : out_of_memory();
}

/* A thread's first call of one of chunk k's functions (timing every call:
 * the sampled path does this in __codensm_sample_start); exported as
 * __codensm_chunk (hooks.c, trampolines_x86_64.S). */
void *cnsm_chunk_first(cnsm_unit_fn unit, uint64_t k) {
  return cnsm_chunk_get(unit(), k);
}

/* Removes desc's directories from a spare's list (*payload). */
static void forget_module_in_spare(void **payload, void *desc) {
  struct cnsm_dir **head = (struct cnsm_dir **)payload;
  for (struct cnsm_dir *d = *head, *next; d; d = next) {
    next = CNSM_LOAD(&d->next_in_thread);
    if (d->module == desc)
      remove_dir(head, d, IN_THREAD);
  }
}

/* Module destructor (exit, dlclose): folds the module into the table. */
CNSM_EXPORT void __codensm_unregister(const struct cnsm_module_desc *desc) {
  pthread_mutex_lock(&cnsm_registry_lock);
  struct cnsm_module *m = cnsm_module_of(desc);
  /* At exit, the program's own modules stay as they are: their memory
   * outlives every destructor, and the exit flush, which runs after them
   * (api.c), reads their counters where they are.  Folded one by one, each
   * module drained its edges, timed calls and causes alone: 8 to 25 ms of
   * every PostgreSQL backend's exit (1,000 units), more than its query.
   * A shared object's are folded as ever: a destructor may dlclose it. */
  if (!m || (m->in_executable && __atomic_load_n(&exiting, __ATOMIC_ACQUIRE))) {
    pthread_mutex_unlock(&cnsm_registry_lock);
    return;
  }
  /* A module no thread called, in a process that neither sends nor
   * reports, has nothing to fold and nothing to announce: its names are
   * not made into entries.  Mapping every module at exit was nearly all of
   * `postgres -V`'s 21 ms of CPU (1.2 ms plain), and of each backend's
   * exit without an endpoint. */
  int told = cnsm_config_told();
  /* Before exit, an endpoint may still come (codensm_init): what the
   * module counted is kept.  At exit, untold, nothing is. */
  int fold =
      told || (!__atomic_load_n(&exiting, __ATOMIC_ACQUIRE) &&
               (m->entry || __atomic_load_n(&m->dirs, __ATOMIC_ACQUIRE)));
  /* Its certain calls first, as a snapshot takes them (hist.c): each one
   * taken is then in the counters folded. */
  if (fold && cnsm_module_map(m) == 0)
    cnsm_hist_take_certain(m);
  /* Every live directory into retired (edges' slots too), and out of its
   * thread's list; its memory stays with the thread's arena.  Our own pointer
   * goes back to the empty directory: a later call re-registers the module.
   * Which directories counted each function is its time's bound
   * (snapshot.c); without memory for it, every directory. */
  uint32_t *users = calloc(CNSM_SLOT_COUNT(desc) + 1, sizeof *users);
  uint32_t dirs = 0;
  for (struct cnsm_dir *d = __atomic_load_n(&m->dirs, __ATOMIC_ACQUIRE); d;
       d = CNSM_LOAD(&d->next_in_module), dirs++)
    cnsm_dir_add(m->retired, users, d, CNSM_SLOT_COUNT(desc));
  for (struct cnsm_thread *t = __atomic_load_n(&threads, __ATOMIC_ACQUIRE); t;
       t = CNSM_LOAD(&t->next)) {
    struct cnsm_dir *d = __atomic_load_n(&t->dirs, __ATOMIC_ACQUIRE);
    while (d) {
      struct cnsm_dir *next = CNSM_LOAD(&d->next_in_thread);
      if (d->module == desc) {
        remove_dir(&t->dirs, d, IN_THREAD);
        if (t == &self && CNSM_LOAD(&d->home))
          set_home(d->home, desc, desc->empty_dir);
      }
      d = next;
    }
  }
  cnsm_arena_each_spare(forget_module_in_spare, (void *)(uintptr_t)desc);
  /* What it timed, and its retired totals, into the table, which owns
   * copies of the names. */
  if (fold && cnsm_module_map(m) == 0) {
    cnsm_hist_drain_module(m);
    cnsm_causes_drain(cnsm_fn_index_of); /* while it can name them */
    /* Its edges name callees wherever they are (only for a process that
     * will tell them: this maps every module). */
    for (struct cnsm_module *other = told ? cnsm_modules : NULL; other;
         other = other->next)
      (void)cnsm_module_map(other);
    cnsm_callers_drain_unloading(m);
    /* Only the entries it counted are written: a fork child's exit leaves
     * the rest of the table its parent's pages (cnsm_set). */
    for (uint32_t i = 0; i < m->entry_count; i++) {
      uint32_t counted_by = users ? users[i] : dirs;
      if (m->entry[i] != CNSM_NOT_COUNTED && // NOLINT: entry_count entries
          (counted_by || !cnsm_slot_is_zero(&m->retired[i]))) {
        struct cnsm_fn *e = &cnsm_fns[m->entry[i]];
        cnsm_slot_add(&e->base, &m->retired[i]);
        e->base_threads += counted_by;
        /* cur too: a snapshot resets only the entries it summed into
         * (snapshot.c), and every other entry's cur must be its base. */
        cnsm_slot_set(&e->cur, &e->base);
        cnsm_set(&e->cur_threads, e->base_threads);
      }
    }
  }
  free(users);
  struct cnsm_module **pp = &cnsm_modules;
  while (*pp && *pp != m)
    pp = &(*pp)->next;
  if (*pp)
    *pp = m->next;
  __atomic_store_n((struct cnsm_module **)desc->runtime_state, NULL,
                   __ATOMIC_RELEASE);
  free(m->retired);
  free(m->entry);
  /* m->probe_until stays with m: a timed call ending on another thread
   * may still read it. */
  /* m itself is kept (a few bytes): a racing first use may still hold it. */
  m->next_unloaded = cnsm_unloaded_modules;
  cnsm_unloaded_modules = m;
  m->retired = NULL;
  m->entry = NULL;
  m->entry_count = 0;
  m->dirs = NULL;
  cnsm_debug("unregistered %s", desc->module_name ? desc->module_name : "?");
  pthread_mutex_unlock(&cnsm_registry_lock);
}
