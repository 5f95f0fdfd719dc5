/* SPDX-License-Identifier: Apache-2.0
 *
 * deadline.h - a total deadline for each request's headers and body, so
 * that a client trickling bytes cannot hold a connection forever (see
 * deadline.c). */
#ifndef CNSM_DEADLINE_H
#define CNSM_DEADLINE_H

/* Every open connection and its deadline; one per server. */
struct cnsm_deadlines;
/* One connection's entry. */
struct cnsm_deadline;

/* A registry giving headers header_s and bodies body_s seconds.
 * NULL when out of memory. */
struct cnsm_deadlines *cnsm_deadlines_new(unsigned header_s, unsigned body_s);

/* Frees the registry and any entry still in it. */
void cnsm_deadlines_free(struct cnsm_deadlines *d);

/* A new connection on socket fd: its first request's headers are due
 * header_s from now.  Returns its entry, or NULL when out of memory
 * (the connection then has no deadline, only the idle time-out). */
struct cnsm_deadline *cnsm_deadline_open(struct cnsm_deadlines *d, int fd);

/* The connection is closing: its entry is removed and freed, so its
 * socket, closed next, is never shut down by a sweep.  e may be NULL. */
void cnsm_deadline_close(struct cnsm_deadlines *d, struct cnsm_deadline *e);

/* The request's headers are in: its body is due body_s from now. */
void cnsm_deadline_headers_in(struct cnsm_deadlines *d,
                              struct cnsm_deadline *e);

/* The body is in: nothing is due while the answer is made and sent. */
void cnsm_deadline_body_in(struct cnsm_deadline *e);

/* The answer is sent: on a kept-alive connection, the next request's
 * headers are due header_s from now. */
void cnsm_deadline_answered(struct cnsm_deadlines *d, struct cnsm_deadline *e);

/* Shuts down (both ways) the socket of every connection past its
 * deadline, once each, so that its server thread sees it closed and
 * frees it.  Returns how many it shut down now. */
unsigned cnsm_deadlines_sweep(struct cnsm_deadlines *d);

#endif
