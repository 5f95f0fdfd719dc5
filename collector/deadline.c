/* SPDX-License-Identifier: Apache-2.0
 *
 * deadline.c - a total deadline for a request's headers and for its
 * body.
 *
 * Why: libmicrohttpd's connection time-out (MHD_OPTION_CONNECTION_TIMEOUT)
 * counts from the last byte received, so a client sending one header
 * byte every few seconds keeps its connection forever, and a few hundred
 * such clients hold every connection the caps allow (slowloris).
 * libmicrohttpd 0.9.75 has no total deadline of its own.
 *
 * How: each connection has an entry here from its start
 * (MHD_CONNECTION_NOTIFY_STARTED) to its end (..._CLOSED), holding its
 * socket and when its current phase is due: the request line and
 * headers within header_s of the connection's start (or, kept alive,
 * of the previous answer), the body within body_s of the headers, and
 * nothing while the answer is made and sent (a heavy read may wait on
 * the read pool).  A sweep, run every quarter of a second by the
 * server's main thread, shuts the socket of an overdue connection down;
 * the connection's own thread then reads end-of-file and closes it as
 * if the client had gone.  No 408 is sent: the sweep does not run on
 * the connection's thread, so a reply written from here could interleave
 * with libmicrohttpd's own writes (or, over TLS, could not be written at
 * all); nginx, too, closes a connection whose headers time out without
 * answering.
 *
 * Safety: an entry leaves the list, under the same mutex the sweep
 * holds, before libmicrohttpd closes its socket (NOTIFY_CLOSED comes
 * first), so a sweep never shuts down a descriptor reused by another
 * file. */
#include "deadline.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "util.h"

struct cnsm_deadline {
  int fd;
  int shut;         /* already shut down by a sweep (under the mutex) */
  atomic_llong due; /* monotonic ms; 0: nothing due */
  struct cnsm_deadline *prev, *next;
};

struct cnsm_deadlines {
  long long header_ms, body_ms;
  pthread_mutex_t mu;
  struct cnsm_deadline *head;
};

/* Sets e's deadline to after_ms from now. */
static void deadline_due_in(struct cnsm_deadline *e, long long after_ms) {
  atomic_store(&e->due, (long long)cnsm_mono_ms() + after_ms);
}

/* See deadline.h. */
struct cnsm_deadlines *cnsm_deadlines_new(unsigned header_s, unsigned body_s) {
  struct cnsm_deadlines *d = calloc(1, sizeof *d);
  if (d == NULL)
    return NULL;
  d->header_ms = 1000LL * header_s;
  d->body_ms = 1000LL * body_s;
  pthread_mutex_init(&d->mu, NULL);
  return d;
}

/* See deadline.h. */
void cnsm_deadlines_free(struct cnsm_deadlines *d) {
  if (d == NULL)
    return;
  while (d->head != NULL) {
    struct cnsm_deadline *next = d->head->next;
    free(d->head);
    d->head = next;
  }
  pthread_mutex_destroy(&d->mu);
  free(d);
}

/* See deadline.h. */
struct cnsm_deadline *cnsm_deadline_open(struct cnsm_deadlines *d, int fd) {
  struct cnsm_deadline *e = calloc(1, sizeof *e);
  if (e == NULL)
    return NULL;
  e->fd = fd;
  deadline_due_in(e, d->header_ms);
  pthread_mutex_lock(&d->mu);
  e->next = d->head;
  if (d->head != NULL)
    d->head->prev = e;
  d->head = e;
  pthread_mutex_unlock(&d->mu);
  return e;
}

/* See deadline.h. */
void cnsm_deadline_close(struct cnsm_deadlines *d, struct cnsm_deadline *e) {
  if (e == NULL)
    return;
  pthread_mutex_lock(&d->mu);
  if (e->prev != NULL)
    e->prev->next = e->next;
  else
    d->head = e->next;
  if (e->next != NULL)
    e->next->prev = e->prev;
  pthread_mutex_unlock(&d->mu);
  free(e);
}

/* See deadline.h. */
void cnsm_deadline_headers_in(struct cnsm_deadlines *d,
                              struct cnsm_deadline *e) {
  if (e != NULL)
    deadline_due_in(e, d->body_ms);
}

/* See deadline.h. */
void cnsm_deadline_body_in(struct cnsm_deadline *e) {
  if (e != NULL)
    atomic_store(&e->due, 0);
}

/* See deadline.h. */
void cnsm_deadline_answered(struct cnsm_deadlines *d, struct cnsm_deadline *e) {
  if (e != NULL)
    deadline_due_in(e, d->header_ms);
}

/* See deadline.h. */
unsigned cnsm_deadlines_sweep(struct cnsm_deadlines *d) {
  long long now = (long long)cnsm_mono_ms();
  unsigned closed = 0;
  pthread_mutex_lock(&d->mu);
  for (struct cnsm_deadline *e = d->head; e != NULL; e = e->next) {
    long long due = atomic_load(&e->due);
    if (e->shut || due == 0 || due > now)
      continue;
    shutdown(e->fd, SHUT_RDWR);
    e->shut = 1;
    closed++;
  }
  pthread_mutex_unlock(&d->mu);
  return closed;
}
