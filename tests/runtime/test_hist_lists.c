/* SPDX-License-Identifier: Apache-2.0
 *
 * test_hist_lists.c - a fork child's lists of buckets, causes and callers
 * (hist.c's cnsm_hist_list_*).
 *
 * After a fork a list still points at its parent's array, in pages the
 * two share until one writes.  The child's first write moves the list to
 * an array of its own, keeping what the list held, so the parent's pages
 * are never copied for it; a process that never forked keeps its arrays.
 */
#define _GNU_SOURCE
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "test_util.h"

static void add(struct cnsm_hist_list *l, uint32_t bucket, uint64_t count) {
  struct cnsm_hist_pair p = {bucket, count};
  CHECK(cnsm_hist_list_add(l, &p, 1) == 0);
}

static void check_pairs(const struct cnsm_hist_list *l,
                        const struct cnsm_hist_pair *want, uint32_t n) {
  CHECK_EQ(l->n, n);
  for (uint32_t i = 0; i < n && i < l->n; i++) {
    CHECK_EQ(l->pairs[i].bucket, want[i].bucket);
    CHECK_EQ(l->pairs[i].count, want[i].count);
  }
}

/* In the child: every list writes into an array of its own. */
static void in_child(struct cnsm_hist_list *held, struct cnsm_hist_list *empty,
                     struct cnsm_hist_list *subbed) {
  const struct cnsm_hist_pair *parents_held = held->pairs;
  add(held, 5, 1);
  CHECK(held->pairs != parents_held);
  const struct cnsm_hist_pair want[] = {{2, 10}, {5, 1}, {7, 3}};
  check_pairs(held, want, 3);
  /* The parent's array, as this child sees it, is as the fork left it. */
  CHECK_EQ(parents_held[0].bucket, 2);
  CHECK_EQ(parents_held[1].bucket, 7);

  const struct cnsm_hist_pair *parents_empty = empty->pairs;
  add(empty, 4, 2);
  CHECK(empty->pairs != parents_empty);
  const struct cnsm_hist_pair four[] = {{4, 2}};
  check_pairs(empty, four, 1);

  const struct cnsm_hist_pair *parents_subbed = subbed->pairs;
  const struct cnsm_hist_pair sent[] = {{1, 1}};
  cnsm_hist_list_sub(subbed, sent, 1);
  CHECK(subbed->pairs != parents_subbed);
  const struct cnsm_hist_pair left[] = {{1, 1}, {3, 4}};
  check_pairs(subbed, left, 2);
  CHECK_EQ(parents_subbed[0].count, 2);

  /* Once its own, a list stays where it is. */
  const struct cnsm_hist_pair *own = held->pairs;
  add(held, 6, 1);
  CHECK(held->pairs == own);
}

int main(void) {
  cnsm_snapshot_init_once(); /* the fork handler that tells the lists */
  struct cnsm_hist_list held = {0}, empty = {0}, subbed = {0};
  add(&held, 2, 10);
  add(&held, 7, 3);
  add(&empty, 1, 1);
  cnsm_hist_list_sub(&empty, empty.pairs, 1); /* n 0, its array kept */
  CHECK_EQ(empty.n, 0);
  add(&subbed, 1, 2);
  add(&subbed, 3, 4);

  /* Without a fork, a list keeps its array. */
  const struct cnsm_hist_pair *mine = held.pairs;
  add(&held, 9, 1);
  CHECK(held.pairs == mine);
  const struct cnsm_hist_pair nine[] = {{9, 1}};
  cnsm_hist_list_sub(&held, nine, 1);
  CHECK(held.pairs == mine);

  fflush(stderr);
  pid_t pid = fork();
  if (pid == 0) {
    in_child(&held, &empty, &subbed);
    _exit(test_failures ? 1 : 0);
  }
  int status = 0;
  CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  /* The parent's lists are as they were. */
  const struct cnsm_hist_pair two[] = {{2, 10}, {7, 3}};
  check_pairs(&held, two, 2);
  CHECK(held.pairs == mine);
  cnsm_hist_list_free(&held);
  cnsm_hist_list_free(&empty);
  cnsm_hist_list_free(&subbed);
  TEST_DONE();
}
