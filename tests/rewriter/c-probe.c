// RUN: %rewrite %s -- -I%include > %t.c
// RUN: %FileCheck %s < %t.c
// RUN: %FileCheck %s --check-prefix=TABLE < %t.c
// A C function gets a cleanup variable right after its '{', on the same
// line, so every line keeps its number; the prologue ends with a #line
// naming the file; the table at the end names each function as the pass
// does, with its department, weight, convention and line.

// CHECK: #define __codensm_hot __inline__ __attribute__((__always_inline__))
// CHECK: static __codensm_hot __UINT64_TYPE__ __codensm_count(__UINT64_TYPE__);
// CHECK: static void __codensm_settle(
// CHECK: static __codensm_hot void __codensm_leave(struct __codensm_probe *p{{[)]}}
// CHECK: #line 1 "{{.*}}c-probe.c"
// CHECK-NEXT: // {{R}}UN: %rewrite

int add(int a, int b) { return a + b; }
// A small leaf is only counted (untimed-leaves.c).
// CHECK: int add(int a, int b) {__UINT64_TYPE__ __codensm_t0 __attribute__((__unused__)) = __codensm_tally{{[(]}}(__UINT64_TYPE__)0u); return a + b; }

static int twice(int x) {
  // CHECK: static int twice(int x) {struct __codensm_probe __codensm_p1 __attribute__((__cleanup__(__codensm_leave), __unused__)) = {1u, 0, 0, 0, 0}; __UINT64_TYPE__ __codensm_t1 __attribute__((__unused__)) = __codensm_p1.t0 = __codensm_count{{[(]}}(__UINT64_TYPE__)1u);{{$}}
  // CHECK-NEXT: // CHECK
  return add(x, x);
}

int declared_only(int x);
// CHECK: int declared_only(int x);{{$}}

int main(void) { return twice(2) - 4 + declared_only(0); }

int declared_only(int x) { return x; }

// TABLE: #include <codensm_abi{{[.]}}h>
// TABLE-NEXT: static const struct cnsm_function_info __codensm_functions[] = {{[{]}}
// TABLE-NEXT:   {"c-probe.add", "root", "{{/.*}}/c-probe.c", 16u, 1u, 0u, 2u, UINT64_C({{[0-9]+}})}{{,}}
// TABLE-NEXT:   {"c-probe.twice", "root", "{{/.*}}/c-probe.c", 20u, 1u, 0u, 0u, UINT64_C({{[0-9]+}})}{{,}}
// TABLE-NEXT:   {"c-probe.main", "root", "{{/.*}}/c-probe.c", 29u, 1u, 0u, 0u, UINT64_C({{[0-9]+}})}{{,}}
// TABLE-NEXT:   {"c-probe.declared_only", "root", "{{/.*}}/c-probe.c", 31u, 1u, 0u, 2u, UINT64_C({{[0-9]+}})}{{,}}
// TABLE-NEXT: }{{;}}
// TABLE: __codensm_empty_dir = {{[{][{]}}0, 0, 0, 0}, {&__codensm_sentinel}}{{;}}
// The thread's home: its directory and chunk 0.
// TABLE: static __thread struct cnsm_home __codensm_home = {&__codensm_empty_dir.header, &__codensm_sentinel}{{;}}
// TABLE: static const struct cnsm_module_desc __codensm_module = {10u, 4u, "c-probe", "{{.*}}c-probe.c", __codensm_functions, __codensm_dir_ref, &__codensm_empty_dir.header, &__codensm_runtime_state, __codensm_edges, 3u}{{;}}
// The hot path, inline: the count added to this thread's chunk, the rare
// sampled call; errors and samples closed out of line.
// The timed call's clock is read in the unit, around the body, with the
// period the call was chosen at (its weight) in its low bits.
// TABLE: __UINT64_TYPE__ t = __codensm_ticks();
// TABLE-NEXT: return t - (t & CNSM_SAMPLE_WEIGHT_MASK) + e;
// A slot of chunk 0 is reached from the home, any other through the
// directory (the slot is a constant: the test folds).
// TABLE: static __codensm_hot struct cnsm_chunk *__codensm_chunk_of(__UINT64_TYPE__ slot) {{[{]}}
// TABLE-NEXT: return slot < CNSM_CHUNK_SLOTS ? __codensm_home.chunk0
// TABLE-NEXT: : cnsm_dir_chunks(__codensm_home.dir)[slot / CNSM_CHUNK_SLOTS];
// TABLE: static __codensm_hot __UINT64_TYPE__ __codensm_count(__UINT64_TYPE__ slot) {{[{]}}
// TABLE-NEXT: struct cnsm_chunk *c = __codensm_chunk_of(slot);
// TABLE: __asm__ __volatile__("xaddq %0, %1"
// TABLE: return __codensm_stamp(__codensm_sample_start(__codensm_unit, slot, c));
// TABLE: __UINT64_TYPE__ end = t0 ? __codensm_ticks() : 0;
// An error's root cause: the runtime gets the epoch the entry read.
// TABLE: __codensm_error(__codensm_unit, slot, mark);
// TABLE: __codensm_sample_stop(__codensm_unit, slot, t0, end);
// TABLE: __attribute__((__constructor__)) static void __codensm_register_unit(void) {{[{]}}
// TABLE-NEXT:   __codensm_register(&__codensm_module){{;}}
