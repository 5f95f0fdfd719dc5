/* SPDX-License-Identifier: Apache-2.0
 *
 * xray_start.c - installs bench/src/hook_xray.c's counting handler and
 * patches every sled before main() of a real program (bench/real/run),
 * which, unlike bench/src/harness.c, does not call bench_variant_init.
 * Runs with XRAY_OPTIONS=patch_premain=false: the XRay runtime initialises
 * itself from .preinit_array, before this constructor.
 */
void bench_variant_init(void);

__attribute__((constructor)) static void xray_start(void) {
  bench_variant_init();
}
