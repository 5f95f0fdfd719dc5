// SPDX-License-Identifier: Apache-2.0
// Which functions are reported, and by which names: the standard library's
// code is not, even where a lambda or an anonymous-namespace type makes its
// instances internal; a user template with std arguments is; the header's
// helper is one function for both translation units.
#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "helpers.h"

static int comparisons; // printed, so the test knows Key::operator<'s count

namespace app {
namespace {
struct Key {
  int k;
  bool operator<(const Key &o) const {
    ++comparisons;
    return k < o.k;
  }
};
} // namespace

template <typename A, typename B> int sum_sizes(const A &a, const B &b) {
  return (int)(sizeof(a) + b.size());
}

long count_big(const std::vector<int> &v) {
  return std::count_if(v.begin(), v.end(), [](int x) { return x > 2; });
}

inline int total(const std::vector<int> &v) {
  int t = 0;
  std::for_each(v.begin(), v.end(), [&t](int x) { t += x; });
  return t;
}

int remember(std::map<Key, int> &seen, int k) {
  seen[Key{k}] += 1;
  return (int)seen.size();
}
} // namespace app

int score_other(int x);

int main() {
  std::vector<int> v{1, 2, 3, 4, 5};
  long big = app::count_big(v);
  int sum = app::total(v);
  std::map<app::Key, int> seen;
  int distinct = 0;
  for (int i = 0; i < 6; ++i)
    distinct = app::remember(seen, i % 3);
  int sizes = 0;
  for (int i = 0; i < 3; ++i)
    sizes += app::sum_sizes(i, std::string("abc"));
  int scores = 0;
  for (int x : {-5, 50, 150, 7})
    scores += clamp_score(x);
  for (int x : {1, 2, 3})
    scores += score_other(x);
  printf("big=%ld sum=%d distinct=%d sizes=%d scores=%d\n", big, sum, distinct,
         sizes, scores);
  printf("comparisons=%d\n", comparisons);
  return 0;
}
