#include <string>
#include <vector>
int count_words(const std::vector<std::string> &words) {
  int n = 0;
  for (const std::string &w : words)
    n += !w.empty();
  return n;
}
// Instantiates basic_string::_M_construct<const char *>, whose local class
// _Guard demangles with the return type first: "void std::...::_Guard".
std::string make_label(const char *text) { return std::string(text); }
