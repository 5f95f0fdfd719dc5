/* sha256.h - a compact SHA-256 (FIPS 180-4), used to store ingest keys
 * hashed.  One-shot interface: the collector only hashes short keys. */
#ifndef CNSM_SHA256_H
#define CNSM_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define CNSM_SHA256_LEN 32

/* Writes the SHA-256 digest of data[0..len) into out[32]. */
void cnsm_sha256(const void *data, size_t len, uint8_t out[CNSM_SHA256_LEN]);

#endif
