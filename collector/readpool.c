/* SPDX-License-Identifier: Apache-2.0
 *
 * readpool.c - heavy reads on their own threads, so they cannot starve
 * ingest.
 *
 * Why: libmicrohttpd serves every connection from a small pool of HTTP
 * threads, and a request handler runs on one of them until it answers.
 * A roll-up over a populated database takes about a second; eight
 * clients looping on /api/report once held every HTTP thread (and every
 * database connection), and an ingest waited behind them for 6 to 23 s.
 * Now server.c suspends such a request's connection and queues it here;
 * a reader thread computes it on its own connection (WAL: readers never
 * block the writer) and resumes the connection, while the HTTP threads
 * stay free for ingest.  At most nthreads reads run at once and at most
 * queue_max wait; beyond that a read is refused with 503 at once. */
#include "readpool.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct cnsm_readpool {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  struct cnsm_read_job *head, *tail;
  unsigned queued, queue_max, nthreads;
  int stopping;
  struct cnsm_store *store;
  pthread_t *threads;
};

/* Takes the next job, waiting for one; NULL once stopping and empty. */
static struct cnsm_read_job *readpool_take(struct cnsm_readpool *p) {
  pthread_mutex_lock(&p->mu);
  while (p->head == NULL && !p->stopping)
    pthread_cond_wait(&p->cv, &p->mu);
  struct cnsm_read_job *job = p->head;
  if (job != NULL) {
    p->head = job->next;
    if (p->head == NULL)
      p->tail = NULL;
    p->queued--;
  }
  pthread_mutex_unlock(&p->mu);
  return job;
}

/* A reader thread: runs jobs until the pool stops and drains. */
static void *readpool_main(void *arg) {
  struct cnsm_readpool *p = arg;
  struct cnsm_read_job *job;
  while ((job = readpool_take(p)) != NULL) {
    job->run(job, p->store);
    job->done(job);
  }
  return NULL;
}

/* Starts the pool; see readpool.h. */
int cnsm_readpool_start(const char *db_path, unsigned nthreads,
                        unsigned queue_max, struct cnsm_readpool **out,
                        char *err, size_t errlen) {
  struct cnsm_readpool *p = calloc(1, sizeof *p);
  if (p == NULL ||
      (p->threads = calloc(nthreads, sizeof *p->threads)) == NULL) {
    free(p);
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  pthread_mutex_init(&p->mu, NULL);
  pthread_cond_init(&p->cv, NULL);
  p->queue_max = queue_max;
  if (cnsm_store_open(db_path, (int)nthreads, 0, &p->store, err, errlen) != 0) {
    cnsm_readpool_free(p);
    return -1;
  }
  for (; p->nthreads < nthreads; p->nthreads++) {
    if (pthread_create(&p->threads[p->nthreads], NULL, readpool_main, p) != 0) {
      snprintf(err, errlen, "cannot start reader threads");
      cnsm_readpool_stop(p);
      cnsm_readpool_free(p);
      return -1;
    }
  }
  *out = p;
  return 0;
}

/* Queues a job; see readpool.h. */
int cnsm_readpool_submit(struct cnsm_readpool *p, struct cnsm_read_job *job) {
  pthread_mutex_lock(&p->mu);
  int ok = !p->stopping && p->queued < p->queue_max;
  if (ok) {
    job->next = NULL;
    if (p->tail)
      p->tail->next = job;
    else
      p->head = job;
    p->tail = job;
    p->queued++;
    pthread_cond_signal(&p->cv);
  }
  pthread_mutex_unlock(&p->mu);
  return ok ? 0 : -1;
}

/* Drains and joins; see readpool.h. */
void cnsm_readpool_stop(struct cnsm_readpool *p) {
  pthread_mutex_lock(&p->mu);
  p->stopping = 1;
  pthread_cond_broadcast(&p->cv);
  pthread_mutex_unlock(&p->mu);
  for (unsigned i = 0; i < p->nthreads; i++)
    pthread_join(p->threads[i], NULL);
  p->nthreads = 0;
}

/* Frees a stopped pool and closes its connections. */
void cnsm_readpool_free(struct cnsm_readpool *p) {
  if (p == NULL)
    return;
  cnsm_store_close(p->store);
  pthread_mutex_destroy(&p->mu);
  pthread_cond_destroy(&p->cv);
  free(p->threads);
  free(p);
}
