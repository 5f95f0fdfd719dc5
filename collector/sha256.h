/* SPDX-License-Identifier: Apache-2.0
 *
 * sha256.h - SHA-256 for the collector (ingest keys stored hashed, the
 * idempotency body hash) and the runtime (spool file names), from nettle.
 *
 * nettle is a well-kept library made for the job and already on every
 * machine that has libmicrohttpd (through GnuTLS), so we no longer carry
 * our own FIPS 180-4 code.  This header only gives it our one-shot name
 * and hides the one API difference between nettle majors: nettle 4 drops
 * the length argument of sha256_digest. */
#ifndef CNSM_SHA256_H
#define CNSM_SHA256_H

#include <stddef.h>
#include <stdint.h>

#include <nettle/sha2.h>
#include <nettle/version.h>

#define CNSM_SHA256_LEN SHA256_DIGEST_SIZE

/* Writes the digest of everything given to ctx into out[32]; ctx is
 * reset for reuse. */
static inline void cnsm_sha256_final(struct sha256_ctx *ctx,
                                     uint8_t out[CNSM_SHA256_LEN]) {
#if NETTLE_VERSION_MAJOR >= 4
  sha256_digest(ctx, out);
#else
  sha256_digest(ctx, CNSM_SHA256_LEN, out);
#endif
}

/* Writes the SHA-256 digest of data[0..len) into out[32]. */
static inline void cnsm_sha256(const void *data, size_t len,
                               uint8_t out[CNSM_SHA256_LEN]) {
  struct sha256_ctx ctx;
  sha256_init(&ctx);
  sha256_update(&ctx, len, (const uint8_t *)data);
  cnsm_sha256_final(&ctx, out);
}

#endif
