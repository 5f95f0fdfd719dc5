/* SPDX-License-Identifier: Apache-2.0 */
/* A plugin library loaded with dlopen and unloaded with dlclose. */
int plugin_square(int x) { return x * x; }
int plugin_work(int n) {
  int s = 0;
  for (int i = 0; i < n; ++i)
    s += plugin_square(i);
  return s;
}
