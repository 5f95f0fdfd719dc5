/* SPDX-License-Identifier: Apache-2.0
 *
 * descriptors.c - a program that counts on the numbers open() returns, as
 * daemons and servers do, beside a runtime that holds files of its own
 * (the live file, the spool, the file sink).
 *
 *   descriptors DATA_FILE [hard]
 *
 * 1. Its first open() gets the lowest number it has not opened itself (3):
 *    printed as "first=N".
 * 2. It closes every descriptor from 3 to 1023, as a daemon does, opens
 *    DATA_FILE (which gets 3 again), writes a line to it, and has 32 threads
 *    each call 1,024 functions once, which makes the runtime allocate their
 *    counters, and keeps DATA_FILE open to its exit; e2e.py checks that it
 *    holds the line and nothing else (the runtime grows its live file
 *    until the last flush, at exit).
 * 3. With "hard", its threads start at once (their first calls grow the
 *    live file together) and it ends with _exit(): what it counted reaches
 *    the sink only through its live file, which the next process takes
 *    over, after the program closed the descriptor the runtime had it on.
 * Prints "sum=S" (the same in every build).
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* 1,024 functions f<n>(x) = x + n, and call_all calling each once.
 * clang-format lays these lists out anew each time it runs. */
// clang-format off
#define F(n) __attribute__((noinline)) long f##n(long x) { return x + n; }
#define F8(n) F(n##0) F(n##1) F(n##2) F(n##3) F(n##4) F(n##5) F(n##6) F(n##7)
#define F64(n) F8(n##0) F8(n##1) F8(n##2) F8(n##3) F8(n##4) F8(n##5) F8(n##6) F8(n##7)
F64(10) F64(11) F64(12) F64(13) F64(14) F64(15) F64(16) F64(17)
F64(20) F64(21) F64(22) F64(23) F64(24) F64(25) F64(26) F64(27)

#define C(n) s += f##n(s);
#define C8(n) C(n##0) C(n##1) C(n##2) C(n##3) C(n##4) C(n##5) C(n##6) C(n##7)
#define C64(n) C8(n##0) C8(n##1) C8(n##2) C8(n##3) C8(n##4) C8(n##5) C8(n##6) C8(n##7)

#define THREADS 32
static long sums[THREADS];
// clang-format on
static pthread_barrier_t start;

static void *call_all(void *arg) {
  long s = (long)arg;
  // clang-format off
  C64(10) C64(11) C64(12) C64(13) C64(14) C64(15) C64(16) C64(17)
  C64(20) C64(21) C64(22) C64(23) C64(24) C64(25) C64(26) C64(27)
  sums[(long)arg] = s;
  // clang-format on
  return NULL;
}

static void *start_together(void *arg) {
  pthread_barrier_wait(&start);
  return call_all(arg);
}

static const char line[] = "the program's own data\n";

int main(int argc, char **argv) {
  if (argc != 2 && !(argc == 3 && strcmp(argv[2], "hard") == 0))
    return 2;
  int hard = argc == 3;
  call_all(0);
  int first = open("/dev/null", O_RDONLY);
  printf("first=%d\n", first);
  for (int fd = 3; fd < 1024; fd++)
    close(fd);
  int data = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (data < 0 || write(data, line, strlen(line)) != (ssize_t)strlen(line))
    return 3;
  pthread_t t[THREADS];
  pthread_barrier_init(&start, NULL, hard ? THREADS : 1);
  for (long i = 0; i < THREADS; i++)
    if (pthread_create(&t[i], NULL, start_together, (void *)i) != 0)
      return 4;
  long sum = 0;
  for (long i = 0; i < THREADS; i++) {
    pthread_join(t[i], NULL);
    sum += sums[i];
  }
  /* DATA_FILE stays open to the end, as a server's files do: e2e.py
   * checks it after the exit, when the runtime's last flush has run. */
  (void)data;
  printf("sum=%ld\n", sum);
  if (hard) {
    fflush(stdout);
    _exit(0);
  }
  return 0;
}
