// SPDX-License-Identifier: Apache-2.0
// Timed twins (plugin/TimedTwins.h): a sampled call of a short, loop-free
// function runs in a copy of its body.  Everything a copy must pass on as the
// function would: a struct returned through a hidden pointer (sret) and one
// passed by value on the stack (byval), an exception thrown through it and one
// caught in it, recursion, an error convention, and a thread started with
// a small stack.  With CODENSM_SAMPLE_PERIOD=1 every call runs in a twin.
#include <codensm.h>
#include <pthread.h>

#include <cstdio>
#include <cstring>
#include <stdexcept>

struct Big {
  long a[8];
};

__attribute__((noinline)) long scale(long x, int i) {
  __asm__ volatile("" ::: "memory");
  return x * (i + 1);
}

__attribute__((noinline)) Big make(long x) {
  Big b = {{scale(x, 0), scale(x, 1), scale(x, 2), scale(x, 3), scale(x, 4),
            scale(x, 5), scale(x, 6), scale(x, 7)}};
  return b;
}

__attribute__((noinline)) long total(Big b) {
  return scale(b.a[0] + b.a[1] + b.a[2] + b.a[3], 0) +
         scale(b.a[4] + b.a[5] + b.a[6] + b.a[7], 0);
}

__attribute__((noinline)) int risky(int i) {
  if (scale(i, 0) % 4 == 1)
    throw std::runtime_error("bad input");
  return i * 3;
}

__attribute__((noinline)) int guarded(int i) {
  try {
    return risky(i);
  } catch (const std::runtime_error &) {
    return -1;
  }
}

__attribute__((noinline)) long depth(int n) {
  return n <= 0 ? 0 : n + depth(n - 1);
}

CODENSM_ERRORS_WHEN_NEGATIVE __attribute__((noinline)) int
parse(const char *s) {
  if (s[0] < '0' || s[0] > '9')
    return -1;
  return (int)scale(s[0] - '0', 9) + (s[1] ? parse(s + 1) : 0);
}

static void *worker(void *arg) {
  long *out = static_cast<long *>(arg);
  for (int i = 0; i < 50; i++)
    *out += total(make(i)) + depth(i % 7);
  return nullptr;
}

int main() {
  long sum = 0;
  int failed = 0, caught = 0;
  for (int i = 0; i < 40; i++) {
    sum += total(make(i));
    int g = guarded(i);
    sum += g;
    failed += g < 0;
    try {
      sum += risky(i + 2);
    } catch (const std::runtime_error &e) {
      caught += std::strcmp(e.what(), "bad input") == 0;
    }
    sum += depth(i % 10);
    sum += parse(i % 5 == 0 ? "x1" : "1");
  }
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, PTHREAD_STACK_MIN);
  pthread_t thread;
  long from_thread = 0;
  if (pthread_create(&thread, &attr, worker, &from_thread) != 0)
    return 2;
  pthread_join(thread, nullptr);
  std::printf("sum=%ld failed=%d caught=%d thread=%ld\n", sum, failed, caught,
              from_thread);
  return 7;
}
