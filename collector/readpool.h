/* SPDX-License-Identifier: Apache-2.0
 *
 * readpool.h - a few threads, each with its own database connection,
 * that run the heavy read-only requests (report, projects, metrics)
 * off the HTTP threads, with a bounded queue. */
#ifndef CNSM_READPOOL_H
#define CNSM_READPOOL_H

#include <stddef.h>

#include "store.h"

/* A unit of work: run() computes with a connection of the read pool,
 * then done() is called (from the same reader thread) to hand the
 * result back.  Embed it as the first member of the caller's job. */
struct cnsm_read_job {
  void (*run)(struct cnsm_read_job *job, struct cnsm_store *st);
  void (*done)(struct cnsm_read_job *job);
  struct cnsm_read_job *next;
};

struct cnsm_readpool;

/* Opens nthreads connections to the existing database at db_path and
 * starts nthreads reader threads that accept up to queue_max waiting
 * jobs.  Returns 0, or -1 with a message in err[errlen]. */
int cnsm_readpool_start(const char *db_path, unsigned nthreads,
                        unsigned queue_max, struct cnsm_readpool **out,
                        char *err, size_t errlen);

/* Queues job.  Returns 0, or -1 if the queue is full or the pool is
 * stopping (job is then not run: answer 503). */
int cnsm_readpool_submit(struct cnsm_readpool *p, struct cnsm_read_job *job);

/* Stops taking jobs, runs every job already queued, joins the threads.
 * Afterwards cnsm_readpool_submit refuses; free with cnsm_readpool_free. */
void cnsm_readpool_stop(struct cnsm_readpool *p);
void cnsm_readpool_free(struct cnsm_readpool *p);

#endif
