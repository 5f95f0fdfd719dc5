#include <string>
#include <vector>
int count_words(const std::vector<std::string> &words) {
  int n = 0;
  for (const std::string &w : words)
    n += !w.empty();
  return n;
}
