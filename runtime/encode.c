/*
 * encode.c - the ingest body, built with cJSON.
 *
 *   {"functions":[{"name":"...","department":"...","value_weight":1,
 *                  "calls":10,"errors":0,"total_ms":1.234567}]}
 *
 * Exactly these six fields leave the process, nothing else.  Numbers are
 * formatted here and handed to cJSON as raw text: counts are exact 64-bit
 * integers (a double would round above 2^53) and total_ms has nanosecond
 * resolution; it also keeps a flush of 100,000 functions cheap.  Strings
 * are referenced, not copied, and escaped by cJSON when printed.
 */
#define _GNU_SOURCE
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Writes v in decimal; returns the length. */
static size_t format_u64(char *buf, uint64_t v) {
  char tmp[24];
  size_t n = 0;
  do
    tmp[n++] = (char)('0' + v % 10);
  while ((v /= 10) != 0);
  for (size_t i = 0; i < n; i++)
    buf[i] = tmp[n - 1 - i];
  buf[n] = '\0';
  return n;
}

/* ns as milliseconds with six decimals, trailing zeros dropped. */
void cnsm_format_ms(char *buf, uint64_t ns) {
  size_t n = format_u64(buf, ns / 1000000);
  uint64_t frac = ns % 1000000;
  if (!frac)
    return;
  buf[n++] = '.';
  for (uint64_t div = 100000; div && frac; div /= 10) {
    buf[n++] = (char)('0' + frac / div);
    frac %= div;
  }
  buf[n] = '\0';
}

/* Adds a raw number member; 0 or -1. */
static int add_raw(cJSON *obj, const char *key, const char *text) {
  cJSON *item = cJSON_CreateRaw(text);
  if (!item)
    return -1;
  cJSON_AddItemToObjectCS(obj, key, item);
  return 0;
}

/* Adds a string member without copying it; 0 or -1. */
static int add_str(cJSON *obj, const char *key, const char *text) {
  cJSON *item = cJSON_CreateStringReference(text);
  if (!item)
    return -1;
  cJSON_AddItemToObjectCS(obj, key, item);
  return 0;
}

/* One function's object; NULL when out of memory. */
static cJSON *encode_one(const struct cnsm_delta *d) {
  char num[32];
  cJSON *o = cJSON_CreateObject();
  if (!o)
    return NULL;
  int bad = add_str(o, "name", d->name);
  bad |= add_str(o, "department", d->department);
  format_u64(num, d->weight);
  bad |= add_raw(o, "value_weight", num);
  format_u64(num, d->calls + d->pend_calls);
  bad |= add_raw(o, "calls", num);
  format_u64(num, d->errors + d->pend_errors);
  bad |= add_raw(o, "errors", num);
  cnsm_format_ms(num, d->ns + d->pend_ns);
  bad |= add_raw(o, "total_ms", num);
  if (bad) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

/* The whole body for d[0..n). */
char *cnsm_encode(const struct cnsm_delta *d, size_t n) {
  cJSON *root = cJSON_CreateObject();
  cJSON *arr = cJSON_CreateArray();
  if (!root || !arr) {
    cJSON_Delete(root);
    cJSON_Delete(arr);
    return NULL;
  }
  cJSON_AddItemToObjectCS(root, "functions", arr);
  for (size_t i = 0; i < n; i++) {
    cJSON *o = encode_one(&d[i]);
    if (!o) {
      cJSON_Delete(root);
      return NULL;
    }
    cJSON_AddItemToArray(arr, o); /* O(1): cJSON >= 1.7.13 keeps the tail */
  }
  char *body = cJSON_PrintUnformatted(root);
  cJSON_Delete(root);
  return body;
}
