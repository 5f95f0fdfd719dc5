/* A C library's fortified wrapper of a builtin, as glibc's
 * bits/string_fortified.h defines them under _FORTIFY_SOURCE. */
typedef __SIZE_TYPE__ size_t;
extern void *memset(void *, int, size_t);
extern __inline __attribute__((__always_inline__, __gnu_inline__, __artificial__)) void *
memset(void *dest, int ch, size_t len) {
  return __builtin___memset_chk(dest, ch, len, __builtin_object_size(dest, 0));
}
