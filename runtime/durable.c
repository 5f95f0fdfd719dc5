/* SPDX-License-Identifier: Apache-2.0
 *
 * durable.c - the live file: this process's counters in a file mapping,
 * so what it counted reaches the collector even when it dies without an
 * exit (SIGKILL, SIGTERM's default action, abort, _exit, a crash).
 *
 * As compiler-rt's continuous mode keeps its counters in the profile file,
 * the arena's regions (arena.c) are mapped from one file per process when
 * a sink is configured: a count is the same single instruction, into a
 * page the kernel keeps after the process is gone.  Beside the regions the
 * file holds what a reader needs to turn counters into deltas
 * (live_format.h): each function's name and what the sink acknowledged
 * of it (snapshot.c keeps that copy current), which module slot is which
 * function, and the batch in flight.  The next process with the same
 * endpoint and key takes a dead process's file over (spool.c, live_read.c).
 *
 * The file is one reservation of address space, mapped from the file a
 * megabyte at a time as it grows (fallocate first, so a full disk is a
 * failed allocation, never a SIGBUS in the application).  Allocation is a
 * fetch-add, safe in a signal handler; a growth that finds another one
 * running, or a full disk, gives NULL and the caller uses anonymous memory
 * (those counts are exact in the process, and lost with it).
 *
 * A fork child gets its own file, a copy of the parent's, mapped over the
 * same addresses before anything else runs in it: otherwise the parent
 * and the child would count into the same pages.
 */
#define _GNU_SOURCE
#include "../collector/sha256.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "live_format.h"

#define RESERVE_BYTES (16ull << 30)  /* address space, never all mapped */
#define GROW_BYTES (256u << 10)      /* tmpfs: memory, reserved at once */
#define SEAL_ROOM_BYTES (1u << 20)   /* room left for a sealed process */
#define GATE_WAIT_NS 2000000000ull   /* a fork child's copy, at most */
#define GROWTH_WAIT_NS 1000000000ull /* another thread's growth, at most */

static char *base; /* the reservation; NULL: no live file */
static int fd = -1;
static struct cnsm_file_id live_id; /* the file fd is open on */
static uint64_t mapped;             /* bytes mapped from the file at base */
static uint64_t next_at;            /* next free byte (fetch-add) */
static int growing;                 /* one growth at a time */
/* This thread's growth is running: a signal handler that interrupted it
 * and allocates must not wait for it. */
static __thread int growing_here;
/* The program confined itself (cnsm_durable_seal): no growth, no file. */
static int growth_closed;
static char live_path[4200];
static pthread_mutex_t open_lock = PTHREAD_MUTEX_INITIALIZER;
static int open_tried;

/* H = SHA-256(endpoint "\n" key) in hex (64 digits), nettle's SHA-256. */
void cnsm_sink_hash(const char *endpoint, const char *key, char out[65]) {
  struct sha256_ctx ctx;
  uint8_t h[CNSM_SHA256_LEN];
  sha256_init(&ctx);
  sha256_update(&ctx, strlen(endpoint), (const uint8_t *)endpoint);
  sha256_update(&ctx, 1, (const uint8_t *)"\n");
  if (key)
    sha256_update(&ctx, strlen(key), (const uint8_t *)key);
  cnsm_sha256_final(&ctx, h);
  for (int i = 0; i < CNSM_SHA256_LEN; i++)
    snprintf(out + 2 * i, 3, "%02x", h[i]);
}

/* Creates dir and its parents (mode 0700). */
int cnsm_mkdirs(const char *dir) {
  char path[4096];
  if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
    return -1;
  for (char *p = path + 1; *p; p++)
    if (*p == '/') {
      *p = '\0';
      mkdir(path, 0700);
      *p = '/';
    }
  return mkdir(path, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

int cnsm_own_private_dir(const char *path) {
  struct stat st;
  return lstat(path, &st) == 0 && S_ISDIR(st.st_mode) &&
         st.st_uid == getuid() && (st.st_mode & 0777) == 0700;
}

/* Names the spool directory a live directory in /dev/shm belongs to, as
 * the link CNSM_LIVE_SPOOL_LINK: once that directory is gone, nobody
 * will take its live files over, and another process removes them
 * (takeover.c, cnsm_orphans_sweep).  Only an absolute name is linked. */
static void name_spool(const char *live_dir, const char *real_spool) {
  char link[sizeof live_path + 16];
  if (!real_spool || real_spool[0] != '/')
    return;
  snprintf(link, sizeof link, "%s/%s", live_dir, CNSM_LIVE_SPOOL_LINK);
  (void)symlink(real_spool, link); /* EEXIST: named already */
}

int cnsm_live_dir(const char *spool_dir, char *out, size_t len) {
  /* Creating and removing a file on a disk file system costs a short
   * process more than all it counts (ext4: 1.4 ms of CPU and 5 ms of
   * wall time per run, in inode allocation); in memory it is free, and
   * memory is what a live file must outlive: the process, not the
   * machine.  So /dev/shm when it is a tmpfs, one directory per user and
   * spool directory (figures of two spools never meet). */
  struct statfs fs;
  char hash[65], *real = realpath(spool_dir, NULL); /* one name per dir */
  cnsm_sink_hash(real ? real : spool_dir, "live", hash);
  int n =
      snprintf(out, len, "/dev/shm/codensm-%ld-%.16s", (long)getuid(), hash);
  if (n > 0 && (size_t)n < len && statfs("/dev/shm", &fs) == 0 &&
      fs.f_type == 0x01021994 /* TMPFS_MAGIC */) {
    mkdir(out, 0700);
    if (cnsm_own_private_dir(out)) {
      name_spool(out, real);
      free(real);
      return 0;
    }
  }
  free(real);
  n = snprintf(out, len, "%s", spool_dir);
  return n > 0 && (size_t)n < len ? 0 : -1;
}

static struct cnsm_live_header *header(void) {
  return (struct cnsm_live_header *)(void *)base;
}

static uint64_t round64(uint64_t n) { return (n + 63u) & ~(uint64_t)63u; }

/* The live file's descriptor.  A program may close it (a daemon closing
 * every descriptor from 3) and open a file of its own under the number:
 * growing and mapping that would write our counters into the program's
 * file.  The live file is then opened again by its name; -1 when that is
 * no longer our file, and the old number is never touched again.  Our
 * lock outlives the descriptor: it belongs to the open file, which our
 * mapping keeps open until the process ends, so no other process can have
 * taken the file over, and the new descriptor needs no lock of its own
 * (it could not get one: flock refuses it against our own mapping's, and
 * taking that for a takeover left every later thread's counts in
 * anonymous memory, which sshd's closefrom() and _exit() then lost). */
static int live_fd(void) {
  if (fd >= 0 && cnsm_fd_is(fd, &live_id))
    return fd;
  int f = cnsm_open_aside(live_path, O_RDWR | O_NOFOLLOW, 0);
  if (f >= 0 && !cnsm_fd_is(f, &live_id)) {
    close(f);
    f = -1;
  }
  if (fd >= 0)
    cnsm_debug("the program closed the live file's descriptor %d: %s", fd,
               f >= 0 ? "opened again" : "cannot open it again");
  fd = f;
  return fd;
}

/* In a loop waiting for another thread: whether wait_ns have passed since
 * its first call (with *since 0). */
static int waited(uint64_t *since, uint64_t wait_ns) {
  uint64_t now = cnsm_now_ns();
  if (!*since)
    *since = now;
  return now - *since > wait_ns;
}

/* Maps the file up to at least end; 0 or -1 (the disk is full, or this
 * thread's own growth is running under a signal handler).  A growth of
 * another thread is waited for: it is a few system calls, and a thread
 * that gave up instead counted in anonymous memory, which a process that
 * ends without its exit flush (_exit, a kill) takes with it (32 threads
 * starting at once lost whole threads' counts). */
static int grow_to(uint64_t end) {
  if (end <= __atomic_load_n(&mapped, __ATOMIC_ACQUIRE))
    return 0;
  if (end > RESERVE_BYTES || __atomic_load_n(&growth_closed, __ATOMIC_ACQUIRE))
    return -1;
  uint64_t since = 0;
  while (__atomic_exchange_n(&growing, 1, __ATOMIC_ACQUIRE)) {
    if (growing_here)
      return -1;
    sched_yield();
    if (end <= __atomic_load_n(&mapped, __ATOMIC_ACQUIRE))
      return 0;
    /* A growing thread that never ends (stopped, or starved by this one
     * at a real-time priority): anonymous memory, as before. */
    if (waited(&since, GROWTH_WAIT_NS))
      return -1;
  }
  growing_here = 1;
  int rc = 0;
  uint64_t at = __atomic_load_n(&mapped, __ATOMIC_ACQUIRE);
  while (at < end) {
    int f = live_fd();
    if (f < 0 || (fallocate(f, 0, (off_t)at, GROW_BYTES) != 0 &&
                  (errno != EOPNOTSUPP ||
                   ftruncate(f, (off_t)(at + GROW_BYTES)) != 0))) {
      rc = -1;
      break;
    }
    if (mmap(base + at, GROW_BYTES, PROT_READ | PROT_WRITE,
             MAP_SHARED | MAP_FIXED, f, (off_t)at) == MAP_FAILED) {
      rc = -1;
      break;
    }
    at += GROW_BYTES;
    __atomic_store_n(&mapped, at, __ATOMIC_RELEASE);
  }
  growing_here = 0;
  __atomic_store_n(&growing, 0, __ATOMIC_RELEASE);
  return rc;
}

/* The fork gate.  A parent's live file is shared with its fork child
 * until the child has copied it (copy_for_child): whatever the parent
 * changes meanwhile, the child copies too.  A region the parent made after
 * the fork, beyond what the child maps, was then found by the child
 * through a directory the parent had filled in since (ssh's ProxyCommand
 * child: SIGSEGV in its first snapshot, 1 run in 5).  So the forking
 * thread waits in its parent handler until the child has its copy, and
 * the parent's other threads wait before a new block.  The child says so
 * by closing its end of a pipe made for the fork: the parent's wait ends
 * at the pipe's end of file, which also comes at once when there is no
 * child (a failed fork: glibc runs the parent handlers then too) and when
 * the child died first. */
static int gate[2] = {-1, -1}; /* the pipe of the fork running */
static int forking;            /* between this process's prepare and parent */
static __thread int forking_here; /* this thread is the one forking */

/* Until no other thread of this process is between its fork and its
 * child's copy.  At most GATE_WAIT_NS: the forking thread may itself wait
 * for a lock this thread holds (stdio's, taken before fork's own), and
 * then the old race is better than a hang. */
static void wait_for_child_copy(void) {
  uint64_t since = 0;
  while (__atomic_load_n(&forking, __ATOMIC_ACQUIRE) && !forking_here &&
         !waited(&since, GATE_WAIT_NS))
    sched_yield();
}

/* A new block of type with payload bytes after its header: the payload's
 * address, zeroed, or NULL.  The block's magic is set by block_seal. */
static void *block_new(uint32_t type, uint64_t payload) {
  if (!__atomic_load_n(&base, __ATOMIC_ACQUIRE))
    return NULL;
  wait_for_child_copy(); /* another thread's fork (the fork gate, above) */
  uint64_t size = round64(sizeof(struct cnsm_live_block) + payload);
  uint64_t at = __atomic_fetch_add(&next_at, size, __ATOMIC_RELAXED);
  if (grow_to(at + size) != 0)
    return NULL;
  uint64_t end = at + size, seen = CNSM_LOAD(&header()->end);
  while (seen < end &&
         !__atomic_compare_exchange_n(&header()->end, &seen, end, 1,
                                      __ATOMIC_RELEASE, __ATOMIC_RELAXED))
    ;
  struct cnsm_live_block *b = (struct cnsm_live_block *)(void *)(base + at);
  b->type = type;
  b->size = size;
  return b + 1;
}

/* The file offset of the block whose payload is at p. */
static uint64_t block_offset(const void *p) {
  return (uint64_t)((const char *)p - base) - sizeof(struct cnsm_live_block);
}

/* Makes the block whose payload is at p readable. */
static void block_seal(void *p) {
  struct cnsm_live_block *b = (struct cnsm_live_block *)p - 1;
  __atomic_store_n(&b->magic, CNSM_LIVE_BLOCK, __ATOMIC_RELEASE);
}

/* A block the process rewrites again and again (the batch in flight,
 * what a take-over found pending, the files it took): one block of type,
 * reused while it has room for need bytes of payload, else a bigger one.
 * Its payload, or NULL.  Only the header's offset makes a reader read it,
 * so the file grows by the largest one, not by every use (a NAMES block a
 * take-over grew a forking server's file some 200 MB a day). */
struct reused {
  void *payload;
  uint64_t cap;
};

static void *reused_block(struct reused *r, uint32_t type, uint64_t need) {
  if (need > r->cap) {
    void *grown = block_new(type, need);
    if (!grown)
      return NULL;
    block_seal(grown);
    r->payload = grown;
    r->cap = need;
  }
  return r->payload;
}

int cnsm_durable_tried(void) {
  return __atomic_load_n(&open_tried, __ATOMIC_ACQUIRE);
}

int cnsm_durable_active(void) {
  return __atomic_load_n(&base, __ATOMIC_ACQUIRE) != NULL;
}

void *cnsm_durable_region(size_t size) {
  void *p = block_new(CNSM_LIVE_REGION, size);
  if (p)
    block_seal(p);
  return p;
}

void cnsm_durable_tag(void *at, uint64_t serial, uint64_t k, uint64_t bytes) {
  struct cnsm_live_tag *t = at;
  t->serial = serial;
  t->k = k;
  t->bytes = bytes;
  __atomic_store_n(&t->magic, CNSM_LIVE_TAG, __ATOMIC_RELEASE);
}

struct cnsm_live_acks *cnsm_durable_fn(size_t index, const char *name,
                                       const char *department,
                                       uint32_t weight) {
  size_t name_len = strlen(name), dept_len = strlen(department);
  struct cnsm_live_fn *f = block_new(
      CNSM_LIVE_FN, sizeof *f + cnsm_live_fn_strings(name_len, dept_len) +
                        sizeof(struct cnsm_live_estimate));
  if (!f)
    return NULL;
  f->index = index;
  f->weight = weight;
  f->flags = CNSM_LIVE_FN_ESTIMATE;
  f->name_len = (uint32_t)name_len;
  f->dept_len = (uint32_t)dept_len;
  char *s = (char *)(f + 1);
  memcpy(s, name, name_len + 1);
  memcpy(s + name_len + 1, department, dept_len + 1);
  block_seal(f);
  return &f->acks;
}

void cnsm_durable_acks(struct cnsm_live_acks *r,
                       const struct cnsm_live_acks *v) {
  if (!r)
    return;
  CNSM_STORE(&r->ack_calls, v->ack_calls);
  CNSM_STORE(&r->ack_errors, v->ack_errors);
  CNSM_STORE(&r->ack_ns, v->ack_ns);
  CNSM_STORE(&r->pend_calls, v->pend_calls);
  CNSM_STORE(&r->pend_errors, v->pend_errors);
  CNSM_STORE(&r->pend_ns, v->pend_ns);
}

/* The estimate after r's record's strings (live_format.h). */
static struct cnsm_live_estimate *estimate_of(struct cnsm_live_acks *r) {
  struct cnsm_live_fn *f =
      (struct cnsm_live_fn *)(void *)((char *)r -
                                      offsetof(struct cnsm_live_fn, acks));
  return (struct cnsm_live_estimate *)(void *)((char *)(f + 1) +
                                               cnsm_live_fn_strings(
                                                   f->name_len, f->dept_len));
}

void cnsm_durable_estimate(struct cnsm_live_acks *r,
                           const struct cnsm_live_estimate *v) {
  if (!r)
    return;
  struct cnsm_live_estimate *to = estimate_of(r);
  if (CNSM_LOAD(&to->certain_calls) == v->certain_calls &&
      CNSM_LOAD(&to->certain_ticks) == v->certain_ticks &&
      CNSM_LOAD(&to->cut_ticks) == v->cut_ticks)
    return; /* a page of the file left clean */
  CNSM_STORE(&to->certain_calls, v->certain_calls);
  CNSM_STORE(&to->certain_ticks, v->certain_ticks);
  CNSM_STORE(&to->cut_ticks, v->cut_ticks);
}

int cnsm_durable_module(uint64_t serial, uint32_t count, const size_t *entry) {
  struct cnsm_live_module *m =
      block_new(CNSM_LIVE_MODULE, sizeof *m + (uint64_t)count * 8u);
  if (!m)
    return -1;
  m->serial = serial;
  m->count = count;
  uint64_t *slots = (uint64_t *)(m + 1);
  for (uint32_t i = 0; i < count; i++)
    slots[i] = entry[i] == CNSM_NOT_COUNTED ? CNSM_LIVE_NOT_COUNTED : entry[i];
  block_seal(m);
  return 0;
}

static struct reused inflight_block;

int cnsm_durable_inflight_begin(const char *key, const char *body,
                                const struct cnsm_live_item *items,
                                size_t count) {
  if (!cnsm_durable_active())
    return 0;
  size_t body_len = strlen(body);
  struct cnsm_live_inflight *inflight =
      reused_block(&inflight_block, CNSM_LIVE_INFLIGHT,
                   sizeof *inflight + count * sizeof *items + body_len + 1);
  if (!inflight)
    return -1;
  snprintf(inflight->key, sizeof inflight->key, "%s", key);
  inflight->body_len = body_len;
  inflight->count = count;
  memcpy(inflight + 1, items, count * sizeof *items);
  memcpy((char *)(inflight + 1) + count * sizeof *items, body, body_len + 1);
  CNSM_STORE(&header()->inflight_off, block_offset(inflight));
  __atomic_store_n(&header()->inflight_state, 1, __ATOMIC_RELEASE);
  return 0;
}

void cnsm_durable_inflight_end(void) {
  if (cnsm_durable_active())
    __atomic_store_n(&header()->inflight_state, 0, __ATOMIC_RELEASE);
}

static struct reused pend_block;

int cnsm_durable_absorb_begin(const struct cnsm_live_pend_item *saved,
                              size_t count) {
  if (!cnsm_durable_active())
    return 0;
  struct cnsm_live_header *h = header();
  struct cnsm_live_pend *pend = NULL;
  if (count) {
    /* A take-over whose record failed left its state running, and the
     * figures pending then are no longer those a reader may trust. */
    if (CNSM_LOAD(&h->absorb_state) != CNSM_ABSORB_NONE)
      return -1;
    pend = reused_block(&pend_block, CNSM_LIVE_PEND,
                        sizeof *pend + count * sizeof *saved);
    if (!pend)
      return -1;
    pend->count = count;
    memcpy(pend + 1, saved, count * sizeof *saved);
  }
  CNSM_STORE(&h->pend_saved_off, pend ? block_offset(pend) : 0);
  __atomic_store_n(&h->absorb_state, CNSM_ABSORB_RUNNING, __ATOMIC_RELEASE);
  return 0;
}

static struct reused names_block;

int cnsm_durable_absorbed(const char *const *names, size_t count) {
  if (!cnsm_durable_active())
    return -1;
  uint64_t len = 0;
  for (size_t i = 0; i < count; i++)
    len += strlen(names[i]) + 1;
  struct cnsm_live_names *n =
      reused_block(&names_block, CNSM_LIVE_NAMES, sizeof *n + len);
  if (!n)
    return -1;
  n->len = len;
  char *s = (char *)(n + 1);
  for (size_t i = 0; i < count; i++)
    s = stpcpy(s, names[i]) + 1;
  CNSM_STORE(&header()->absorbed_off, block_offset(n));
  __atomic_store_n(&header()->absorb_state, CNSM_ABSORB_DONE, __ATOMIC_RELEASE);
  return 0;
}

void cnsm_durable_hand_off(const char *stem) {
  if (!cnsm_durable_active())
    return;
  if (!stem) {
    __atomic_store_n(&header()->handoff_state, CNSM_HANDOFF_NONE,
                     __ATOMIC_RELEASE);
    return;
  }
  snprintf(header()->handoff, sizeof header()->handoff, "%s", stem);
  __atomic_store_n(&header()->handoff_state, CNSM_HANDOFF_DONE,
                   __ATOMIC_RELEASE);
}

void cnsm_durable_absorb_end(void) {
  if (!cnsm_durable_active())
    return;
  __atomic_store_n(&header()->absorb_state, CNSM_ABSORB_NONE, __ATOMIC_RELEASE);
  CNSM_STORE(&header()->absorbed_off, 0);
  CNSM_STORE(&header()->pend_saved_off, 0);
}

/* Creates this process's live file for sink in dir, locked, under a
 * hidden name (tmp, which readers never look at); live_path gets the name
 * publish() gives it once its header is written, so a reader never finds
 * a live file that is not whole.  Its fd, or -1. */
static int create_file(const char *dir, const char *sink, char *tmp,
                       size_t tmp_len) {
  int len = snprintf(live_path, sizeof live_path, "%s/%.16s-%ld-%llu%s", dir,
                     sink, (long)getpid(), (unsigned long long)cnsm_now_ns(),
                     CNSM_LIVE_SUFFIX);
  const char *name = strrchr(live_path, '/') + 1;
  int tlen = snprintf(tmp, tmp_len, "%s/.%s", dir, name);
  if (len < 0 || (size_t)len >= sizeof live_path || tlen < 0 ||
      (size_t)tlen >= tmp_len)
    return -1;
  int flags = O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW;
  int f = cnsm_open_aside(tmp, flags, 0600);
  if (f < 0 && errno == ENOENT && mkdir(dir, 0700) == 0)
    f = cnsm_open_aside(tmp, flags, 0600); /* the last process removed it */
  if (f < 0)
    return -1;
  if (flock(f, LOCK_EX | LOCK_NB) != 0 || cnsm_fd_identify(f, &live_id) != 0) {
    close(f);
    unlink(tmp);
    return -1;
  }
  return f;
}

/* Gives the file created as tmp its name; 0 or -1. */
static int publish(const char *tmp) { return rename(tmp, live_path); }

/* The program is about to confine itself (sandbox.c): room for the
 * counters of functions first called inside, while the file may still
 * grow (not past a file size limit the program set first: a growth past it
 * is killed by SIGXFSZ), and none after. */
void cnsm_durable_seal(void) {
  if (!__atomic_load_n(&base, __ATOMIC_ACQUIRE))
    return;
  uint64_t end = __atomic_load_n(&next_at, __ATOMIC_RELAXED) + SEAL_ROOM_BYTES;
  end = (end + GROW_BYTES - 1) / GROW_BYTES * GROW_BYTES;
  if (cnsm_file_size_allowed(end))
    (void)grow_to(end);
  __atomic_store_n(&growth_closed, 1, __ATOMIC_RELEASE);
}

void cnsm_durable_unseal(void) {
  __atomic_store_n(&growth_closed, 0, __ATOMIC_RELEASE);
}

int cnsm_durable_open(const char *spool_dir, const char *sink) {
  if (cnsm_sealed())
    return -1;
  char dir[4096], tmp[sizeof live_path];
  pthread_mutex_lock(&open_lock);
  int tried = open_tried;
  __atomic_store_n(&open_tried, 1, __ATOMIC_RELEASE);
  pthread_mutex_unlock(&open_lock);
  if (tried)
    return cnsm_durable_active() ? 0 : -1;
  cnsm_mkdirs(spool_dir);
  if (cnsm_live_dir(spool_dir, dir, sizeof dir) != 0)
    return -1;
  void *r = mmap(NULL, RESERVE_BYTES, PROT_NONE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (r == MAP_FAILED)
    return -1;
  if ((fd = create_file(dir, sink, tmp, sizeof tmp)) < 0) {
    munmap(r, RESERVE_BYTES);
    cnsm_warn("cannot create a live file in %s (%s): what this process "
              "counts since its last flush is lost if it is killed",
              dir, strerror(errno));
    return -1;
  }
  base = r;
  next_at = CNSM_LIVE_HEADER;
  if (grow_to(CNSM_LIVE_HEADER) != 0) {
    close(fd);
    unlink(tmp);
    fd = -1;
    base = NULL;
    munmap(r, RESERVE_BYTES);
    return -1;
  }
  struct cnsm_live_header *h = header();
  h->version = CNSM_LIVE_VERSION;
  h->header_size = CNSM_LIVE_HEADER;
  snprintf(h->sink, sizeof h->sink, "%s", sink);
  h->end = CNSM_LIVE_HEADER;
  __atomic_store_n(&h->magic, CNSM_LIVE_MAGIC, __ATOMIC_RELEASE);
  if (publish(tmp) != 0) {
    unlink(tmp);
    close(fd);
    fd = -1;
    base = NULL; /* the reservation stays: nothing was allocated from it */
    return -1;
  }
  cnsm_debug("live file %s", live_path);
  return 0;
}

void cnsm_durable_set_sink(const char *sink) {
  if (!cnsm_durable_active() || strcmp(header()->sink, sink) == 0)
    return;
  char to[sizeof live_path + 32];
  const char *name = strrchr(live_path, '/') + 1;
  snprintf(to, sizeof to, "%.*s%.16s%s", (int)(name - live_path), live_path,
           sink, name + 16);
  if (strlen(to) < sizeof live_path && rename(live_path, to) == 0)
    memcpy(live_path, to, strlen(to) + 1);
  snprintf(header()->sink, sizeof header()->sink, "%s", sink);
}

const char *cnsm_durable_name(void) {
  return cnsm_durable_active() ? strrchr(live_path, '/') + 1 : NULL;
}

void cnsm_durable_finish(int delivered) {
  if (!cnsm_durable_active())
    return;
  if (!delivered)
    return;          /* the next process takes it over */
  unlink(live_path); /* everything was acknowledged */
  if (strncmp(live_path, "/dev/shm/", 9) == 0) {
    /* Our directory in /dev/shm, if no other file is in it: a process
     * creating one meanwhile makes it again.  Its link to the spool
     * directory goes first (rmdir refuses a directory holding it, and
     * every spool directory ever used kept one: 271 on this machine,
     * each read by every process's orphan sweep), and comes back when
     * another process's file is in it. */
    char dir[sizeof live_path], link[sizeof live_path + 16], spool[4096];
    snprintf(dir, sizeof dir, "%.*s",
             (int)(strrchr(live_path, '/') - live_path), live_path);
    snprintf(link, sizeof link, "%s/%s", dir, CNSM_LIVE_SPOOL_LINK);
    ssize_t n = readlink(link, spool, sizeof spool - 1);
    if (n > 0) {
      spool[n] = '\0';
      unlink(link);
    }
    if (rmdir(dir) != 0 && n > 0)
      name_spool(dir, spool);
  }
}

/* The bytes [from, to) of the block of r, or an empty span. */
struct span {
  uint64_t from, to;
};

static struct span span_of(const struct reused *r) {
  if (!r->payload)
    return (struct span){0, 0};
  uint64_t from = block_offset(r->payload);
  return (struct span){from,
                       from + ((struct cnsm_live_block *)r->payload - 1)->size};
}

#ifndef MADV_POPULATE_READ /* Linux 5.14; a C library older than it */
#define MADV_POPULATE_READ 22
#define MADV_POPULATE_WRITE 23
#endif

/* Maps [from, to) of the live file into this process's page tables in one
 * call.  A fork child inherits none of a shared file mapping's: it faulted
 * once for every page of its parent's file the copy read, and again for
 * every page of its own copy it touched (counters, histograms, records),
 * each a trap, and on a virtual machine a costly one.  A kernel before
 * 5.14 refuses the advice, and the pages fault in as before. */
static void map_in(uint64_t from, uint64_t to, int advice) {
  uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
  from &= ~(page - 1);
  if (from < to)
    (void)madvise(base + from, (size_t)(to - from), advice);
}

/* Copies [from, to) of the parent's file, from its mapping, into the
 * child's.  (copy_file_range would spare the faults on the mapping, a tenth
 * of the copy, but a filter inherited from a sandbox that started the
 * program, which the runtime cannot see (sandbox.c), may kill at a system
 * call the program never makes.) */
static int copy_range(int child_fd, uint64_t from, uint64_t to) {
  map_in(from, to, MADV_POPULATE_READ);
  while (from < to) {
    ssize_t n = pwrite(child_fd, base + from, to - from, (off_t)from);
    if (n <= 0)
      return -1;
    from += (uint64_t)n;
  }
  return 0;
}

/* What the child leaves out of the parent's used bytes: its blocks of
 * the batch in flight, the figures pending at its take-over and the files
 * it took over.  The child continues none of them (copy_for_child clears
 * their offsets), and they were a fifth of a PostgreSQL postmaster's 7 MB
 * that every backend copied.  Left as holes, they read as zeroes, which a
 * reader steps over.  Read from the parent's file: in the child's, their
 * headers are holes too. */
static void holes_of_parent(struct span holes[3]) {
  holes[0] = span_of(&inflight_block);
  holes[1] = span_of(&pend_block);
  holes[2] = span_of(&names_block);
}

/* Each range of the used bytes between the holes is copied into child_fd,
 * or with child_fd < 0 mapped in for writing (the holes would take
 * memory). */
static int each_used_range(int child_fd, uint64_t used,
                           const struct span skip[3]) {
  uint64_t at = 0;
  while (at < used) {
    struct span next = {used, used}; /* the first skipped block from at */
    for (int i = 0; i < 3; i++)
      if (skip[i].from >= at && skip[i].from < next.from && skip[i].to > 0)
        next = skip[i];
    if (child_fd < 0)
      map_in(at, next.from, MADV_POPULATE_WRITE);
    else if (copy_range(child_fd, at, next.from) != 0)
      return -1;
    at = next.to;
  }
  return 0;
}

/* Fork child: copies the parent's file into a new one of its own and maps
 * it over the same addresses, so every pointer into it stays good and the
 * parent's pages are no longer written here.  On failure the child counts
 * in private anonymous copies (as without a live file). */
static void copy_for_child(void) {
  if (!base)
    return;
  uint64_t len = __atomic_load_n(&mapped, __ATOMIC_ACQUIRE);
  uint64_t used = CNSM_LOAD(&header()->end); /* beyond it: zeroes */
  if (used > len)
    used = len;
  char dir[sizeof live_path], tmp[sizeof live_path];
  snprintf(dir, sizeof dir, "%.*s", (int)(strrchr(live_path, '/') - live_path),
           live_path);
  /* The parent's, unless the program closed it and reused the number. */
  int parent_fd = fd >= 0 && cnsm_fd_is(fd, &live_id) ? fd : -1;
  /* A confined parent's child is confined too: no file of its own. */
  int child_fd =
      cnsm_sealed() ? -1 : create_file(dir, header()->sink, tmp, sizeof tmp);
  /* The used part written, then the rest allocated: allocated first,
   * every page was zeroed and then overwritten. */
  struct span holes[3];
  holes_of_parent(holes);
  int ok = child_fd >= 0 && each_used_range(child_fd, used, holes) == 0 &&
           ftruncate(child_fd, (off_t)used) == 0 && /* a hole last */
           (used == len ||
            fallocate(child_fd, 0, (off_t)used, (off_t)(len - used)) == 0) &&
           mmap(base, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
                child_fd, 0) != MAP_FAILED;
  if (parent_fd >= 0)
    close(parent_fd); /* the parent's lock stays with the parent */
  growing = 0;        /* a growth the parent had running is not ours */
  growing_here = 0;
  if (ok) {
    fd = child_fd;
    each_used_range(-1, used, holes); /* mapped in: ours, to count into */
    /* The parent's send, take-over and hand-off are not ours (a thread
     * forking during its process's exit hand-off copies a header that
     * says "read nothing here": the grandchild's counts were lost). */
    header()->inflight_state = 0;
    header()->absorb_state = CNSM_ABSORB_NONE;
    header()->absorbed_off = 0;
    header()->pend_saved_off = 0;
    header()->handoff_state = CNSM_HANDOFF_NONE;
    inflight_block = pend_block = names_block = (struct reused){0};
    if (publish(tmp) == 0)
      return;
  }
  /* Private copies at the same addresses, and no live file. */
  void *copy = mmap(NULL, len, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (copy != MAP_FAILED) {
    memcpy(copy, base, len);
    mremap(copy, len, len, MREMAP_MAYMOVE | MREMAP_FIXED, base);
  }
  if (child_fd >= 0) {
    close(child_fd);
    unlink(tmp);
  }
  fd = -1;
  base = NULL;
}

static void fork_prepare(void) {
  if (!base || cnsm_sealed() || pipe2(gate, O_CLOEXEC) != 0) {
    gate[0] = gate[1] = -1; /* no gate: the child copies what it finds */
    return;
  }
  forking_here = 1;
  __atomic_store_n(&forking, 1, __ATOMIC_RELEASE);
}

static void fork_parent(void) {
  if (gate[0] < 0)
    return;
  close(gate[1]);
  struct pollfd end = {gate[0], POLLIN, 0};
  uint64_t deadline = cnsm_now_ns() + GATE_WAIT_NS;
  for (;;) { /* one deadline, however many signals interrupt the wait */
    uint64_t now = cnsm_now_ns();
    int left = now < deadline ? (int)((deadline - now) / 1000000u) : 0;
    if (poll(&end, 1, left) >= 0 || errno != EINTR)
      break;
  }
  close(gate[0]);
  gate[0] = gate[1] = -1;
  forking_here = 0;
  __atomic_store_n(&forking, 0, __ATOMIC_RELEASE);
}

static void fork_child(void) {
  int copied = gate[1];
  if (gate[0] >= 0)
    close(gate[0]);
  gate[0] = gate[1] = -1;
  forking_here = 0;
  __atomic_store_n(&forking, 0, __ATOMIC_RELEASE);
  copy_for_child();
  if (copied >= 0)
    close(copied); /* the parent's wait ends */
}

/* Registered before the other layers' handlers: its prepare runs last and
 * its parent handler first, with the registry's lock held (one fork at a
 * time), and its child handler first (the child's pages). */
static void install_fork_handlers(void) {
  pthread_atfork(fork_prepare, fork_parent, fork_child);
}

void cnsm_durable_init_once(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, install_fork_handlers);
}
