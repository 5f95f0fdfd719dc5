/* SPDX-License-Identifier: Apache-2.0
 *
 * live_read.c - what a dead process's live file (live_format.h) still has
 * to deliver.
 *
 * For each function: its counters summed over every chunk of every
 * thread, minus what the sink acknowledged, plus what was pending (spool
 * figures the process had taken over), so exactly what its own next flush
 * would have sent.  Two moments of a send are settled here:
 *
 *   - a batch in flight (recorded before it was sent): it may have been
 *     stored, so it is resent verbatim under its key (the collector stores
 *     a key once), and its functions' acknowledgements are taken as what
 *     its success sets;
 *   - spool files being taken over: until their figures were all added,
 *     the file's pending figures are those from before the take-over
 *     (the files still hold the others); once they were, the files it
 *     names are its own, to be removed.
 *
 * The spool directory is not trusted: every size, offset and index is
 * checked against the file, and what does not fit is skipped.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "live_format.h"

/* One function of the file. */
struct fn {
  const struct cnsm_live_fn *rec; /* NULL: no record (never named) */
  struct cnsm_live_acks acks;
  /* What the process's estimate took from outside the counters (zeros
   * in a file of an earlier runtime). */
  struct cnsm_live_estimate estimate;
  struct cnsm_slot total;
};

struct module {
  uint64_t serial, count;
  const uint64_t *slots;
};

struct file {
  const char *buf;
  uint64_t end;
  struct fn *fns;
  uint64_t fn_count;
  struct module *modules;
  size_t module_count, module_cap;
};

static uint64_t add_sat(uint64_t a, uint64_t b) {
  return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* The block at offset at, when it is whole and sealed, else NULL. */
static const struct cnsm_live_block *block_at(const struct file *f,
                                              uint64_t at) {
  if (at % 64 || at > f->end || f->end - at < sizeof(struct cnsm_live_block))
    return NULL;
  const struct cnsm_live_block *b = (const void *)(f->buf + at);
  if (b->magic != CNSM_LIVE_BLOCK || b->size < sizeof *b || b->size % 64 ||
      b->size > f->end - at)
    return NULL;
  return b;
}

/* The payload of the sealed block of type at offset at (size at least
 * need), or NULL. */
static const void *payload_at(const struct file *f, uint64_t at, uint32_t type,
                              uint64_t need) {
  const struct cnsm_live_block *b = at ? block_at(f, at) : NULL;
  if (!b || b->type != type || b->size - sizeof *b < need)
    return NULL;
  return b + 1;
}

/* Records a FN block: its strings must be NUL-ended where it says. */
static void add_fn(struct file *f, const struct cnsm_live_block *b) {
  const struct cnsm_live_fn *r = (const void *)(b + 1);
  uint64_t room = b->size - sizeof *b;
  if (room < sizeof *r || r->index >= f->fn_count ||
      (uint64_t)r->name_len + r->dept_len + 2 > room - sizeof *r)
    return;
  const char *s = (const char *)(r + 1);
  if (s[r->name_len] || s[r->name_len + 1 + r->dept_len])
    return;
  f->fns[r->index].rec = r;
  f->fns[r->index].acks = r->acks;
  uint64_t strings = cnsm_live_fn_strings(r->name_len, r->dept_len);
  if ((r->flags & CNSM_LIVE_FN_ESTIMATE) &&
      strings + sizeof(struct cnsm_live_estimate) <= room - sizeof *r)
    memcpy(&f->fns[r->index].estimate, (const char *)(r + 1) + strings,
           sizeof(struct cnsm_live_estimate));
}

static void add_module(struct file *f, const struct cnsm_live_block *b) {
  const struct cnsm_live_module *m = (const void *)(b + 1);
  uint64_t room = b->size - sizeof *b;
  if (room < sizeof *m || m->count > (room - sizeof *m) / 8)
    return;
  if (f->module_count == f->module_cap) {
    size_t cap = f->module_cap ? 2 * f->module_cap : 16;
    struct module *grown = realloc(f->modules, cap * sizeof *grown);
    if (!grown)
      return;
    f->modules = grown;
    f->module_cap = cap;
  }
  f->modules[f->module_count++] =
      (struct module){m->serial, m->count, (const uint64_t *)(m + 1)};
}

static const struct module *module_of(const struct file *f, uint64_t serial) {
  for (size_t i = 0; i < f->module_count; i++)
    if (f->modules[i].serial == serial)
      return &f->modules[i];
  return NULL;
}

/* Adds the chunk after tag t to its functions' totals. */
static void add_chunk(struct file *f, const struct cnsm_live_tag *t) {
  const struct module *m = module_of(f, t->serial);
  if (!m ||
      t->k >= cnsm_chunk_count(
                  (uint32_t)(m->count < UINT32_MAX ? m->count : UINT32_MAX)))
    return;
  const struct cnsm_chunk *c = (const void *)(t + 1);
  for (uint64_t j = 0; j < CNSM_CHUNK_SLOTS; j++) {
    uint64_t slot = t->k * CNSM_CHUNK_SLOTS + j;
    if (slot >= m->count || m->slots[slot] >= f->fn_count)
      continue;
    struct cnsm_slot *acc = &f->fns[m->slots[slot]].total;
    acc->calls = add_sat(acc->calls, c->slots[j].calls);
    acc->errors = add_sat(acc->errors, c->slots[j].errors);
    acc->samples = add_sat(acc->samples, c->slots[j].samples);
    acc->ticks = add_sat(acc->ticks, c->slots[j].ticks);
  }
}

/* Every tagged chunk of a REGION block. */
static void add_region(struct file *f, uint64_t at,
                       const struct cnsm_live_block *b) {
  uint64_t need = sizeof(struct cnsm_live_tag) + sizeof(struct cnsm_chunk);
  for (uint64_t p = at + sizeof *b; p + need <= at + b->size;) {
    const struct cnsm_live_tag *t = (const void *)(f->buf + p);
    if (t->magic == CNSM_LIVE_TAG && t->bytes == sizeof(struct cnsm_chunk)) {
      add_chunk(f, t);
      p += (need + 63) & ~(uint64_t)63;
    } else {
      p += 64;
    }
  }
}

/* The walks over the blocks. */
enum pass { COUNT, RECORDS, CHUNKS };

/* One walk: COUNT sizes fns by the largest index, RECORDS reads the
 * functions and modules, CHUNKS adds the counters (which need every
 * module's slots). */
static void walk(struct file *f, enum pass pass) {
  for (uint64_t at = CNSM_LIVE_HEADER; at < f->end;) {
    const struct cnsm_live_block *b = block_at(f, at);
    if (!b) {
      at += 64;
      continue;
    }
    const struct cnsm_live_fn *r = (const void *)(b + 1);
    if (pass == COUNT && b->type == CNSM_LIVE_FN &&
        b->size - sizeof *b >= sizeof *r && r->index < f->end / 64 &&
        r->index >= f->fn_count)
      f->fn_count = r->index + 1;
    else if (pass == RECORDS && b->type == CNSM_LIVE_FN)
      add_fn(f, b);
    else if (pass == RECORDS && b->type == CNSM_LIVE_MODULE)
      add_module(f, b);
    else if (pass == CHUNKS && b->type == CNSM_LIVE_REGION)
      add_region(f, at, b);
    at += b->size;
  }
}

/* The batch in flight: its acknowledgements become what its success sets,
 * and it goes to r->batch. */
static void settle_inflight(struct file *f, const struct cnsm_live_header *h,
                            const struct cnsm_live_reader *r) {
  if (h->inflight_state != 1)
    return;
  const struct cnsm_live_inflight *in =
      payload_at(f, h->inflight_off, CNSM_LIVE_INFLIGHT, sizeof *in);
  if (!in)
    return;
  const struct cnsm_live_block *b = (const void *)((const char *)in - 64);
  uint64_t room = b->size - sizeof *b - sizeof *in;
  if (in->count > room / sizeof(struct cnsm_live_item) ||
      in->body_len >= room - in->count * sizeof(struct cnsm_live_item) ||
      !memchr(in->key, 0, sizeof in->key))
    return;
  const struct cnsm_live_item *items = (const void *)(in + 1);
  const char *body = (const char *)(items + in->count);
  if (body[in->body_len])
    return;
  for (uint64_t i = 0; i < in->count; i++)
    if (items[i].index < f->fn_count)
      f->fns[items[i].index].acks = items[i].after;
  r->batch(r->ctx, in->key, body);
}

/* The NAMES block of files taken over, to r->absorbed. */
static void list_absorbed(struct file *f, const struct cnsm_live_header *h,
                          const struct cnsm_live_reader *r) {
  const struct cnsm_live_names *n =
      payload_at(f, h->absorbed_off, CNSM_LIVE_NAMES, sizeof(*n));
  if (!n)
    return;
  const struct cnsm_live_block *b = (const void *)((const char *)n - 64);
  if (n->len > b->size - sizeof *b - sizeof *n)
    return;
  const char *s = (const char *)(n + 1), *end = s + n->len;
  while (s < end) {
    const char *nul = memchr(s, 0, (size_t)(end - s));
    if (!nul)
      break;
    if (nul > s && !strchr(s, '/'))
      r->absorbed(r->ctx, s);
    s = nul + 1;
  }
}

/* A take-over running: the figures pending before it began (the PEND
 * block), each function's others being in the files it was taking.
 * Whether the file says what they were: without a PEND block it says
 * nothing was pending, with a block that is not whole it says nothing. */
static int pend_before_absorb(struct file *f,
                              const struct cnsm_live_header *h) {
  for (uint64_t i = 0; i < f->fn_count; i++) {
    struct cnsm_live_acks *a = &f->fns[i].acks;
    a->pend_calls = a->pend_errors = a->pend_ns = 0;
  }
  if (!h->pend_saved_off)
    return 1;
  const struct cnsm_live_pend *p =
      payload_at(f, h->pend_saved_off, CNSM_LIVE_PEND, sizeof *p);
  if (!p)
    return 0;
  const struct cnsm_live_block *b = (const void *)((const char *)p - 64);
  if (p->count >
      (b->size - sizeof *b - sizeof *p) / sizeof(struct cnsm_live_pend_item))
    return 0;
  const struct cnsm_live_pend_item *item = (const void *)(p + 1);
  for (uint64_t i = 0; i < p->count; i++)
    if (item[i].index < f->fn_count) {
      struct cnsm_live_acks *a = &f->fns[item[i].index].acks;
      a->pend_calls = item[i].calls;
      a->pend_errors = item[i].errors;
      a->pend_ns = item[i].ns;
    }
  return 1;
}

/* Each function's delta to r->function. */
static void report(const struct file *f, int pend_valid,
                   const struct cnsm_live_reader *r) {
  double ns_per_tick = cnsm_clock_ns_per_tick();
  uint64_t probe = cnsm_clock_probe_ticks();
  for (uint64_t i = 0; i < f->fn_count; i++) {
    const struct fn *e = &f->fns[i];
    if (!e->rec)
      continue;
    const struct cnsm_live_acks *a = &e->acks;
    uint64_t own_c = cnsm_sub0(e->total.calls, a->ack_calls);
    uint64_t own_e = cnsm_sub0(e->total.errors, a->ack_errors);
    /* Estimated as the process did at its last snapshot: its calls timed
     * at period 1 apart, less the ticks it cut (snapshot.c).  Those since then
     * count with the sampled ones. */
    struct cnsm_certain certain = {e->estimate.certain_calls,
                                   e->estimate.certain_ticks};
    uint64_t ns = cnsm_sub0(
        cnsm_estimate_ns(e->total.calls, e->total.samples,
                         cnsm_sub0(e->total.ticks, e->estimate.cut_ticks),
                         &certain, probe, ns_per_tick),
        a->ack_ns);
    uint64_t calls = own_c, errors = own_e < own_c ? own_e : own_c;
    if (pend_valid) {
      calls = add_sat(calls, a->pend_calls);
      errors = add_sat(errors, a->pend_errors);
      ns = add_sat(ns, a->pend_ns);
    }
    const char *name = (const char *)(e->rec + 1);
    r->function(r->ctx, name, name + e->rec->name_len + 1, e->rec->weight,
                calls, errors < calls ? errors : calls, ns);
  }
}

/* Whether s (of at most cap bytes) is a spool file's stem, <H16>-<pid>-<ns>:
 * a name in the spool directory, never a path elsewhere. */
static int is_stem(const char *s, size_t cap) {
  size_t n = strnlen(s, cap);
  return n > 16 && n < cap && strspn(s, "0123456789abcdef-") == n;
}

int cnsm_live_parse(const void *buf, size_t len, const char *sink,
                    const struct cnsm_live_reader *r) {
  const struct cnsm_live_header *h = buf;
  if (len < CNSM_LIVE_HEADER || h->magic != CNSM_LIVE_MAGIC ||
      h->version != CNSM_LIVE_VERSION || h->header_size != CNSM_LIVE_HEADER ||
      !memchr(h->sink, 0, sizeof h->sink))
    return -1;
  if (strcmp(h->sink, sink) != 0)
    return 1;
  struct file f = {.buf = buf, .end = (h->end < len ? h->end : len) & ~63ull};
  if (r->absorbed && h->absorb_state == CNSM_ABSORB_DONE)
    list_absorbed(&f, h, r);
  if (h->handoff_state == CNSM_HANDOFF_DONE) { /* figures in a spool file */
    if (r->handed_off && is_stem(h->handoff, sizeof h->handoff))
      r->handed_off(r->ctx, h->handoff);
    return 0;
  }
  if (!r->function)
    return 0;
  walk(&f, COUNT);
  f.fns = calloc(f.fn_count ? f.fn_count : 1, sizeof *f.fns);
  if (!f.fns)
    return -1;
  walk(&f, RECORDS);
  walk(&f, CHUNKS);
  int pend_valid =
      h->absorb_state != CNSM_ABSORB_RUNNING || pend_before_absorb(&f, h);
  settle_inflight(&f, h, r);
  report(&f, pend_valid, r);
  free(f.fns);
  free(f.modules);
  return 0;
}
