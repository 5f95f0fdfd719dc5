/* SPDX-License-Identifier: Apache-2.0
 *
 * test_absorb.c - what a reader finds in the live file of a process that
 * dies while it takes spool files over with figures still pending
 * (spool.c, snapshot.c's cnsm_pend_absorb_begin, durable.c, live_read.c).
 *
 * A process whose sends all fail (a refused key) keeps figures pending
 * and still takes its fork children's files over.  At each step of a
 * take-over the live file is read as the next process would read it: the
 * figures pending before the take-over are there while it runs (the files
 * being taken hold the others), all of them once it recorded the files it
 * took, and the files are named for removal only then; take-overs
 * without end do not grow the file.  Before the PEND
 * block, a take-over running said "ignore every pending figure", which
 * lost those from before it; a take-over that could not record itself
 * leaves none to begin with figures pending.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "live_format.h"
#include "live_util.h"
#include "test_util.h"

static const char *spool_dir;
static char sink[65];

struct seen {
  uint64_t calls, errors, ns;
  int absorbed; /* names listed for removal */
  uint64_t end; /* the file's bytes allocated */
};

static void on_function(void *ctx, const char *name, const char *department,
                        uint32_t weight, uint64_t calls, uint64_t errors,
                        uint64_t ns) {
  (void)department;
  (void)weight;
  struct seen *s = ctx;
  if (strcmp(name, "app.pending") == 0) {
    s->calls += calls;
    s->errors += errors;
    s->ns += ns;
  }
}

static void on_absorbed(void *ctx, const char *name) {
  struct seen *s = ctx;
  s->absorbed += strcmp(name, "taken.json") == 0;
}

/* This process's live file, read as a dead one's would be. */
static struct seen read_own(void) {
  struct seen s = {0};
  struct stat st;
  int fd = open_own_live(spool_dir, &st);
  void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
  CHECK(map != MAP_FAILED);
  struct cnsm_live_reader r = {
      .function = on_function, .absorbed = on_absorbed, .ctx = &s};
  CHECK(cnsm_live_parse(map, (size_t)st.st_size, sink, &r) == 0);
  s.end = ((const struct cnsm_live_header *)map)->end;
  munmap(map, (size_t)st.st_size);
  close(fd);
  return s;
}

static void pend_add(size_t i, uint64_t calls, uint64_t errors, uint64_t ns) {
  pthread_mutex_lock(&cnsm_registry_lock);
  cnsm_pend_add(i, calls, errors, ns);
  pthread_mutex_unlock(&cnsm_registry_lock);
}

static void check_seen(struct seen s, uint64_t calls, uint64_t errors,
                       uint64_t ns, int absorbed) {
  CHECK_EQ(s.calls, calls);
  CHECK_EQ(s.errors, errors);
  CHECK_EQ(s.ns, ns);
  CHECK_EQ(s.absorbed, absorbed);
}

int main(void) {
  spool_dir = test_path("spool-absorb");
  cnsm_sink_hash("http://127.0.0.1:9/ingest", "key", sink);
  if (cnsm_durable_open(spool_dir, sink) != 0) {
    fprintf(stderr, "no live file could be made\n");
    return 1;
  }
  pthread_mutex_lock(&cnsm_registry_lock);
  size_t i = cnsm_fn_intern("app.pending", "", 0);
  pthread_mutex_unlock(&cnsm_registry_lock);
  CHECK(i != SIZE_MAX);

  /* A first take-over, nothing pending before it. */
  CHECK(cnsm_pend_absorb_begin() == 0);
  pend_add(i, 10, 2, 1000);
  check_seen(read_own(), 0, 0, 0, 0); /* the files still hold them */
  const char *names[] = {"taken.json"};
  CHECK(cnsm_durable_absorbed(names, 1) == 0);
  check_seen(read_own(), 10, 2, 1000, 1);
  cnsm_durable_absorb_end();
  check_seen(read_own(), 10, 2, 1000, 0);

  /* The sends fail: a second take-over with those 10 calls pending. */
  CHECK(cnsm_pend_absorb_begin() == 0);
  pend_add(i, 5, 1, 500);
  check_seen(read_own(), 10, 2, 1000, 0);
  CHECK(cnsm_durable_absorbed(names, 1) == 0);
  check_seen(read_own(), 15, 3, 1500, 1);
  cnsm_durable_absorb_end();

  /* A forking server takes files over every second, for days: once its
   * blocks have room, a take-over allocates nothing more in the file (a
   * NAMES block each grew it some 200 MB a day). */
  uint64_t end = read_own().end;
  for (int k = 0; k < 1000; k++) {
    CHECK(cnsm_pend_absorb_begin() == 0);
    CHECK(cnsm_durable_absorbed(names, 1) == 0);
    cnsm_durable_absorb_end();
  }
  CHECK_EQ(read_own().end, end);

  /* A third, more pending than the last PEND block held room for. */
  pthread_mutex_lock(&cnsm_registry_lock);
  size_t j = cnsm_fn_intern("app.other", "", 0);
  pthread_mutex_unlock(&cnsm_registry_lock);
  pend_add(j, 1, 0, 1);
  CHECK(cnsm_pend_absorb_begin() == 0);
  pend_add(i, 7, 0, 700);
  check_seen(read_own(), 15, 3, 1500, 0);

  /* That one could not record the files it took: it stays running, and
   * no take-over may begin on top of it with figures pending. */
  CHECK(cnsm_pend_absorb_begin() == -1);
  check_seen(read_own(), 15, 3, 1500, 0);
  cnsm_durable_finish(1); /* no live file left behind */
  TEST_DONE();
}
