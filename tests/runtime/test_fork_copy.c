/* SPDX-License-Identifier: Apache-2.0
 *
 * test_fork_copy.c - the live file a fork child gets (durable.c's
 * copy_for_child).
 *
 * The child's file is its parent's at the fork, byte for byte, but for
 * the blocks of what the child does not continue: the parent's batch in
 * flight and the names of the files it took over.  Those are holes (a
 * fifth of a PostgreSQL postmaster's file, which every backend copied),
 * their header offsets are cleared, and the child's own send gets a block
 * of its own rather than writing into a hole.  The rest is in the child's
 * page tables from the start: a page fault each, as the child touched
 * them, cost more than the copy.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "live_format.h"
#include "live_util.h"
#include "test_util.h"

static const char *spool_dir;

struct file {
  char *bytes;
  size_t len;
  uint64_t allocated; /* bytes the file system holds for it */
};

/* This process's live file, read whole. */
static struct file read_own(void) {
  struct file f = {0};
  struct stat st;
  int fd = open_own_live(spool_dir, &st);
  f.len = (size_t)st.st_size;
  f.allocated = (uint64_t)st.st_blocks * 512u;
  f.bytes = malloc(f.len);
  CHECK(f.bytes && pread(fd, f.bytes, f.len, 0) == (ssize_t)f.len);
  close(fd);
  return f;
}

static const struct cnsm_live_header *header_of(const struct file *f) {
  return (const struct cnsm_live_header *)(const void *)f->bytes;
}

/* The bytes [from, to) of the block at off in f. */
struct span {
  uint64_t from, to;
};

static struct span block_at(const struct file *f, uint64_t off) {
  const struct cnsm_live_block *b =
      (const struct cnsm_live_block *)(const void *)(f->bytes + off);
  CHECK_EQ(b->magic, CNSM_LIVE_BLOCK);
  return (struct span){off, off + b->size};
}

static int inside(uint64_t at, const struct span *s, int n) {
  for (int i = 0; i < n; i++)
    if (at >= s[i].from && at < s[i].to)
      return 1;
  return 0;
}

/* Kilobytes of this process's mapping of its live file in its page
 * tables (smaps' Rss), or -1. */
static long mapped_kb(void) {
  FILE *f = fopen("/proc/self/smaps", "r");
  char line[4400];
  int ours = 0;
  long kb = -1;
  while (f && kb < 0 && fgets(line, sizeof line, f)) {
    if (strchr(line, '/') && strstr(line, ".live"))
      ours = strstr(line, cnsm_durable_name()) != NULL;
    else if (ours && sscanf(line, "Rss: %ld kB", &kb) != 1)
      kb = -1;
  }
  if (f)
    fclose(f);
  return kb;
}

/* In the child: its file against its parent's, read just before the fork. */
static void check_child(const struct file *parent, const struct span *holes,
                        const char *parent_name) {
  /* Mapped in by the fork handler, not a fault at a time as used; the
   * holes not (they would take memory). */
  uint64_t used = header_of(parent)->end;
  uint64_t kept =
      used - (holes[0].to - holes[0].from) - (holes[1].to - holes[1].from);
  long kb = mapped_kb();
  CHECK((uint64_t)kb * 1024 + 2 * 4096 >= kept);
  CHECK((uint64_t)kb * 1024 <= kept + 4 * 4096);
  struct file child = read_own();
  const struct cnsm_live_header *h = header_of(&child);
  CHECK(strcmp(cnsm_durable_name(), parent_name) != 0);
  CHECK_EQ(h->end, used);
  CHECK_EQ(h->inflight_state, 0);
  CHECK_EQ(h->absorbed_off, 0);
  CHECK(child.len >= used);
  uint64_t differ = 0, filled = 0;
  for (uint64_t at = CNSM_LIVE_HEADER; at < used && at < child.len; at++) {
    if (inside(at, holes, 2))
      filled += child.bytes[at] != 0;
    else
      differ += child.bytes[at] != parent->bytes[at];
  }
  CHECK_EQ(differ, 0);
  CHECK_EQ(filled, 0);
  /* The holes hold no memory: the batch in flight alone is 256 KB. */
  uint64_t skipped = holes[0].to - holes[0].from;
  CHECK(child.allocated + skipped - 2 * 4096 <= parent->allocated);

  /* The child's own batch in flight: a new block, read where the header
   * says, and not in a hole. */
  CHECK(cnsm_durable_inflight_begin("child-key", "{\"functions\":[]}", NULL,
                                    0) == 0);
  struct file again = read_own();
  const struct cnsm_live_header *a = header_of(&again);
  CHECK_EQ(a->inflight_state, 1);
  CHECK(a->inflight_off >= used);
  struct span own = block_at(&again, a->inflight_off);
  CHECK(own.to <= again.len);
  const struct cnsm_live_inflight *inflight =
      (const struct cnsm_live_inflight
           *)(const void *)(again.bytes + own.from +
                            sizeof(struct cnsm_live_block));
  CHECK(strcmp(inflight->key, "child-key") == 0);
  free(child.bytes);
  free(again.bytes);
}

int main(void) {
  spool_dir = test_path("spool-fork-copy");
  char sink[65];
  cnsm_sink_hash("http://127.0.0.1:9/ingest", "key", sink);
  if (cnsm_durable_open(spool_dir, sink) != 0) {
    fprintf(stderr, "no live file could be made\n");
    return 1;
  }
  cnsm_durable_init_once(); /* its fork handlers */
  pthread_mutex_lock(&cnsm_registry_lock);
  CHECK(cnsm_fn_intern("app.kept", "engine", 3) != SIZE_MAX);
  for (int i = 0; i < 3000; i++) { /* their records: most of the file */
    char name[32];
    snprintf(name, sizeof name, "app.f%d", i);
    CHECK(cnsm_fn_intern(name, "engine", 1) != SIZE_MAX);
  }
  pthread_mutex_unlock(&cnsm_registry_lock);

  /* A batch in flight of 256 KB, and a take-over's names. */
  size_t body_len = 256u << 10;
  char *body = malloc(body_len + 1);
  CHECK(body != NULL);
  memset(body, 'x', body_len);
  body[body_len] = 0;
  CHECK(cnsm_durable_inflight_begin("parent-key", body, NULL, 0) == 0);
  CHECK(cnsm_pend_absorb_begin() == 0);
  const char *names[] = {"taken.json"};
  CHECK(cnsm_durable_absorbed(names, 1) == 0);
  struct file parent = read_own();
  struct span holes[2] = {block_at(&parent, header_of(&parent)->inflight_off),
                          block_at(&parent, header_of(&parent)->absorbed_off)};
  char parent_name[256];
  snprintf(parent_name, sizeof parent_name, "%s", cnsm_durable_name());

  fflush(stderr);
  pid_t pid = fork();
  if (pid == 0) {
    check_child(&parent, holes, parent_name);
    cnsm_durable_finish(1);
    _exit(test_failures ? 1 : 0);
  }
  int status = 0;
  CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

  /* The parent's own file is as it was. */
  struct file after = read_own();
  CHECK(memcmp(after.bytes + CNSM_LIVE_HEADER, parent.bytes + CNSM_LIVE_HEADER,
               header_of(&parent)->end - CNSM_LIVE_HEADER) == 0);
  CHECK_EQ(header_of(&after)->inflight_state, 1);
  cnsm_durable_absorb_end();
  cnsm_durable_finish(1);
  free(body);
  free(parent.bytes);
  free(after.bytes);
  TEST_DONE();
}
