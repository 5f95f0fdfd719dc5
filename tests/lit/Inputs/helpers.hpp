// A header's template, instantiated by a TU with its own types.
template <typename T> int weigh(const T &t) { return (int)sizeof(t); }
static int halve(int x) { return x / 2; }
