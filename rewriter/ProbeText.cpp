// SPDX-License-Identifier: Apache-2.0
//===- ProbeText.cpp - the C and C++ text codensm-rewrite inserts --------===//
//
// Everything here must compile cleanly under the user's warnings (-Wall
// -Wextra -pedantic -Werror, C89 to C++20, GCC and clang): GNU spellings
// with underscores (__attribute__, __typeof__, __inline__), no system
// header before the user's own (a _GNU_SOURCE or _FILE_OFFSET_BITS defined
// by the file must still reach glibc), __null rather than 0 for C++
// pointers, and names no user code has (__codensm_*).
//
//===----------------------------------------------------------------------===//
#include "ProbeText.h"

#include "Abi.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/raw_ostream.h"

namespace codensm {
namespace rewrite {

/// An initialiser of Struct with its fields in codensm_abi.inc's order;
/// every field must have a value (a field added to the ABI and not here
/// stops the rewriter, never a unit with a wrong layout).
static std::string initializer(llvm::StringRef Struct,
                               const llvm::StringMap<std::string> &Values) {
  std::string Out = "{";
  const char *Sep = "";
  for (const abi::FieldRow &F : abi::Fields) {
    if (Struct != F.Struct)
      continue;
    auto It = Values.find(F.Name);
    if (It == Values.end())
      llvm::report_fatal_error(llvm::Twine("codensm-rewrite: no value for ") +
                               Struct + "." + F.Name);
    Out += Sep + It->second;
    Sep = ", ";
  }
  return Out + "}";
}

std::string cString(llvm::StringRef S) {
  std::string Out = "\"";
  for (unsigned char C : S) {
    if (C == '"' || C == '\\') {
      Out += '\\';
      Out += static_cast<char>(C);
    } else if (C < 0x20 || C >= 0x7f) {
      char Octal[5];
      snprintf(Octal, sizeof Octal, "\\%03o", C);
      Out += Octal;
    } else {
      Out += static_cast<char>(C);
    }
  }
  return Out + "\"";
}

/// The hot path, the pass's inline expansion written in C
/// (codensm_abi.h): __codensm_count adds the call to this thread's chunk
/// and returns the clock when the call is sampled (else 0);
/// __codensm_settle, out of line, counts an error and closes a sample.
/// Declared here, defined by the epilogue, where codensm_abi.h may be
/// included: no header may come before the user's own.  GCC inlines
/// __codensm_count all the same (it compiles the unit as a whole), and
/// always: as a plain inline function, a large unit's probes grew it past
/// GCC's inline-unit-growth, leaving some probes calls and, worse, the
/// budget spent for the unit's own small functions (Redis: +50% CPU per
/// request against GCC, +32% for the plugin against clang).
static const char *HotPath =
    "#define __codensm_hot __inline__ "
    "__attribute__((__always_inline__))\n"
    "static __codensm_hot __UINT64_TYPE__ __codensm_count(__UINT64_TYPE__);\n"
    "static void __codensm_settle(__UINT64_TYPE__, __UINT64_TYPE__, int,\n"
    "                             __UINT64_TYPE__) "
    "__attribute__((__nothrow__));\n"
    "static __codensm_hot __UINT64_TYPE__\n"
    "__codensm_step_depth(__UINT64_TYPE__, int);\n"
    "static __codensm_hot void __codensm_count_edge(__UINT64_TYPE__);\n"
    "static __codensm_hot __UINT64_TYPE__ __codensm_tally(__UINT64_TYPE__);\n"
    /* The thread's error epoch (root causes, runtime/causes.c), read at
     * the entry of a function that can fail. */
    "extern __thread __UINT64_TYPE__ __codensm_error_epoch\n"
    "    __attribute__((__tls_model__(\"initial-exec\")));\n";

/// C: the probe is a variable whose cleanup runs at every return (and, in
/// code built with -fexceptions, when an exception unwinds the frame),
/// with a constant initialiser (C89 -pedantic refuses any other brace
/// list); a second, scalar, variable's initialiser starts the call.
/// A recursive function's probe (rec 1) lowers its depth after the stop,
/// which tells a nested frame by it; the constant folds the test away in
/// every other function.
static const char *CProbe =
    "struct __codensm_probe {\n"
    "  __UINT64_TYPE__ slot, t0, mark;\n"
    "  int err, rec;\n"
    "};\n"
    "static __codensm_hot void __codensm_leave(struct __codensm_probe *p) {\n"
    "  if (__builtin_expect((long)(p->t0 != 0 || p->err != 0), 0L))\n"
    "    __codensm_settle(p->slot, p->t0, p->err, p->mark);\n"
    "  if (p->rec)\n"
    "    __codensm_step_depth(p->slot, -1);\n"
    "}\n";

/// C++: a guard in an anonymous namespace, so each unit's guard calls its
/// own unit.  Unwinding is told from a return by the number of uncaught
/// exceptions having grown since entry (a destructor running during
/// another exception's unwinding still sees a normal return).  The number
/// is the thread's __cxa_eh_globals' second field (the Itanium C++ ABI's
/// layout, which std::uncaught_exceptions returns), read through a
/// pointer each thread keeps: std::uncaught_exceptions at every entry and
/// exit, a call through the PLT into libstdc++ and its __tls_get_addr, cost
/// a call some 12 ns, 90 % of an accessor's time (re2's suite took 12.9
/// times plain g++'s CPU, and one-line functions reported more time than
/// the whole run).  __cxa_get_globals is declared as libstdc++'s <cxxabi.h>
/// declares it, which may come later.
static const char *CxxGuard =
    "#if defined(__cpp_exceptions) || defined(__EXCEPTIONS)\n"
    "namespace __cxxabiv1 {\n"
    "struct __cxa_eh_globals;\n"
    "extern \"C\" __cxa_eh_globals *__cxa_get_globals()\n"
    "#if __cplusplus >= 201103L\n"
    "    noexcept\n"
    "#else\n"
    "    throw()\n"
    "#endif\n"
    "    __attribute__((__const__));\n"
    "}\n"
    "static __thread const unsigned *__codensm_uncaught_count;\n"
    "static __inline__ int __codensm_uncaught() {\n"
    "  const unsigned *n = __codensm_uncaught_count;\n"
    "  if (__builtin_expect(!n, 0)) {\n"
    "    const char *g =\n"
    "        reinterpret_cast<const char *>(__cxxabiv1::__cxa_get_globals());\n"
    "    n = static_cast<const unsigned *>(\n"
    "        static_cast<const void *>(g + sizeof(void *)));\n"
    "    __codensm_uncaught_count = n;\n"
    "  }\n"
    "  return static_cast<int>(*n);\n"
    "}\n"
    "#else\n"
    "#define __codensm_uncaught() 0\n"
    "#endif\n"
    "namespace {\n"
    "struct __codensm_guard {\n"
    "  __UINT64_TYPE__ slot, t0, mark;\n"
    "  int err;\n"
    "  int uncaught;\n"
    "  bool rec;\n"
    "  __codensm_hot __codensm_guard(__UINT64_TYPE__ s, bool timed, bool r)\n"
    "      : slot(s), t0(__codensm_count(s)), mark(__codensm_error_epoch),\n"
    "        err(0), uncaught(__codensm_uncaught()), rec(r) {\n"
    "    if (!timed)\n"
    "      t0 = 0;\n"
    "    if (rec)\n"
    "      __codensm_step_depth(slot, 1);\n"
    "  }\n"
    "  __codensm_hot ~__codensm_guard() {\n"
    "    bool unwinding = __codensm_uncaught() > uncaught;\n"
    "    if (__builtin_expect(t0 != 0 || err != 0 || unwinding, 0))\n"
    "      __codensm_settle(slot, t0, err != 0 || unwinding, mark);\n"
    "    if (rec)\n"
    "      __codensm_step_depth(slot, -1);\n"
    "  }\n"
    "};\n"
    /* A function that cannot fail (Unwind.h): no exception leaves it and it
     * has no error convention, so nothing tells unwinding, and no root
     * cause is looked for. */
    "struct __codensm_calm {\n"
    "  __UINT64_TYPE__ slot, t0;\n"
    "  bool rec;\n"
    "  __codensm_hot __codensm_calm(__UINT64_TYPE__ s, bool timed, bool r)\n"
    "      : slot(s), t0(__codensm_count(s)), rec(r) {\n"
    "    if (!timed)\n"
    "      t0 = 0;\n"
    "    if (rec)\n"
    "      __codensm_step_depth(slot, 1);\n"
    "  }\n"
    "  __codensm_hot ~__codensm_calm() {\n"
    "    if (__builtin_expect(t0 != 0, 0))\n"
    "      __codensm_settle(slot, t0, 0, 0);\n"
    "    if (rec)\n"
    "      __codensm_step_depth(slot, -1);\n"
    "  }\n"
    "};\n"
    "} // namespace\n";

/// A template's instances told apart (Instances.h): the tag types, and the
/// pattern's first slot for a tag no overload at the end of the file names.
static const char *InstanceTagTemplates =
    "template <class __T, __T __V> struct __codensm_v {};\n"
    "template <class... __T> struct __codensm_tag {};\n"
    "template <unsigned __P, class... __T>\n"
    "static __inline__ __UINT64_TYPE__\n"
    "__codensm_islot(__codensm_tag<__codensm_v<unsigned, __P>, __T...> *) {\n"
    "  return __P;\n"
    "}\n";

/// GCC warns of a class whose base or member has no linkage
/// (-Wsubobject-linkage) unless the class is in the main file, which it
/// tells by name: after the #line naming the user's source, nothing is in
/// the main file any more (the temporary copy is), and fmtlib's tests,
/// -Werror, were refused.  What GCC never says of a main file is not said
/// here either (nor, since the pragma holds to the end, of the headers it
/// includes: a warning lost, never one added).
static const char *MainFileWarnings =
    "#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 6\n"
    "#pragma GCC diagnostic ignored \"-Wsubobject-linkage\"\n"
    "#endif\n";

/// GCC's warnings of what a definition is, rather than how it is written,
/// which no spelling of the added definitions avoids: their padding (the
/// guard's), size (the table's), frame and stack (the functions', at -O0),
/// long long (__UINT64_TYPE__ on 32-bit targets), and in C++ that they are
/// templates or namespaces (-Wtemplates, -Wnamespaces: GCC 6).  Turned off
/// around the prologue's and the epilogue's definitions only (push and
/// pop): never for the user's code between them, where the probes are
/// written to warn of nothing (tests/rewriter/gcc-added-warnings.c, .cpp).
static std::string addedBegin(bool Cxx) {
  std::string Out =
      "#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 6\n"
      "#pragma GCC diagnostic push\n"
      "#pragma GCC diagnostic ignored \"-Wpadded\"\n"
      "#pragma GCC diagnostic ignored \"-Wlarger-than=\"\n"
      "#pragma GCC diagnostic ignored \"-Wframe-larger-than=\"\n"
      "#pragma GCC diagnostic ignored \"-Wstack-usage=\"\n"
      "#pragma GCC diagnostic ignored \"-Wlong-long\"\n";
  if (Cxx)
    Out += "#pragma GCC diagnostic ignored \"-Wtemplates\"\n"
           "#pragma GCC diagnostic ignored \"-Wnamespaces\"\n";
  return Out + "#endif\n";
}

static const char *AddedEnd =
    "#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 6\n"
    "#pragma GCC diagnostic pop\n"
    "#endif\n";

std::string prologue(bool Cxx, bool Cxx11, llvm::StringRef SourcePath) {
  std::string Out = "/* Instrumented by codensm-rewrite (CodeNSM). */\n";
  Out += addedBegin(Cxx);
  Out += "struct cnsm_module_desc;\n";
  // No class-key where C++ needs none (-Wredundant-tags).
  Out += Cxx ? "static const cnsm_module_desc *__codensm_unit();\n"
             : "static const struct cnsm_module_desc *__codensm_unit(void);\n";
  Out += HotPath;
  Out += Cxx ? CxxGuard : CProbe;
  if (Cxx && Cxx11)
    Out += InstanceTagTemplates;
  Out += AddedEnd;
  if (Cxx)
    Out += MainFileWarnings;
  Out += "#line 1 " + cString(SourcePath) + "\n";
  return Out;
}

/// The tag type of a template's instance: Base, then Tag's arguments.
static std::string tagType(unsigned Base, llvm::StringRef Tag) {
  return "__codensm_tag<__codensm_v<unsigned, " + std::to_string(Base) + "u>" +
         Tag.str() + ">";
}

std::string instanceSlot(unsigned Base, llvm::StringRef Tag, unsigned Slot) {
  // __extension__: an instance's arguments may be GNU types (fmtlib's
  // unsigned __int128), which -pedantic-errors refuses written as a type
  // name, while the user's own code only wrote them through an alias.
  return "__extension__ static __inline__ __UINT64_TYPE__ __codensm_islot(" +
         tagType(Base, Tag) + " *) {\n  return " + std::to_string(Slot) +
         "u;\n}\n";
}

/// A slot as C passes it to the hot path's __UINT64_TYPE__ parameters: an
/// unsigned constant would differ in width from the prototype's type
/// (-Wtraditional-conversion; C++ has neither that warning nor a cast
/// -Wold-style-cast accepts, and takes 5u).
static std::string cSlot(unsigned Slot) {
  return "(__UINT64_TYPE__)" + std::to_string(Slot) + "u";
}

/// The slot a probe passes: Slot, or for a template's pattern the slot
/// of the instance compiled (instanceSlot).
static std::string cxxSlotValue(unsigned Slot, llvm::StringRef PatternTag) {
  return PatternTag.empty() ? std::to_string(Slot) + "u"
                            : "__codensm_islot(static_cast<" +
                                  tagType(Slot, PatternTag) + " *>(__null))";
}

std::string entryProbe(bool Cxx, unsigned Slot, bool Timed, bool Recursive,
                       bool Calm, llvm::StringRef ReturnType,
                       llvm::StringRef PatternTag) {
  std::string N = std::to_string(Slot), Out;
  std::string SlotValue = cxxSlotValue(Slot, PatternTag);
  if (Cxx)
    Out = std::string(Calm ? "__codensm_calm" : "__codensm_guard") +
          " __codensm_p" + N + "(" + SlotValue + ", " +
          (Timed ? "true" : "false") + ", " + (Recursive ? "true" : "false") +
          ");";
  else
    Out = "struct __codensm_probe __codensm_p" + N +
          " __attribute__((__cleanup__(__codensm_leave), __unused__)) = {" + N +
          "u, 0, 0, 0, " + (Recursive ? "1" : "0") +
          "}; __UINT64_TYPE__ __codensm_t" + N +
          " __attribute__((__unused__)) = " +
          (Timed ? "__codensm_p" + N + ".t0 = " : "") + "__codensm_count(" +
          cSlot(Slot) + ");" +
          // After the count, which made the thread's chunk real.
          (Recursive
               ? " __UINT64_TYPE__ __codensm_r" + N +
                     " __attribute__((__unused__)) = __codensm_step_depth(" +
                     cSlot(Slot) + ", 1);"
               : "") +
          // Only a function with a convention can fail in C: it alone
          // reads the error epoch, for its errors' root cause.
          (ReturnType.empty() ? ""
                              : " __UINT64_TYPE__ __codensm_m" + N +
                                    " __attribute__((__unused__)) = "
                                    "__codensm_p" +
                                    N + ".mark = __codensm_error_epoch;");
  if (!ReturnType.empty())
    Out += " __typeof__(" + ReturnType.str() + ") __codensm_v" + N +
           " __attribute__((__unused__));";
  return Out;
}

std::string countProbe(bool Cxx, unsigned Slot, llvm::StringRef PatternTag) {
  // A declaration, as the other probes: C89 allows no statement before
  // the body's own declarations.
  return "__UINT64_TYPE__ __codensm_t" + std::to_string(Slot) +
         " __attribute__((__unused__)) = __codensm_tally(" +
         (Cxx ? cxxSlotValue(Slot, PatternTag) : cSlot(Slot)) + ");";
}

ReturnWrap returnCheck(unsigned Slot, llvm::StringRef Check) {
  std::string N = std::to_string(Slot), V = "__codensm_v" + N;
  std::string Test;
  for (char C : Check)
    Test += C == 'V' ? V : std::string(1, C);
  return {"(" + V + " = (",
          "), __codensm_p" + N + ".err = (" + Test + "), " + V + ")"};
}

/// The hot path declared by the prologue (HotPath), as the pass expands
/// it (codensm_abi.h): this thread's chunk (chunk 0 from the home, the
/// others from its directory: the slot is a constant, so the test folds),
/// the count added with one non-locked xadd on x86-64 (a signal handler on
/// the same thread cannot lose it), the sampled call when the count before
/// reaches the slot's target in the chunk's next[] -- always in the sentinel
/// chunk of a thread's first call, where __codensm_sample_start moves the count
/// to the thread's own chunk.  A timed call's clock is read here, around
/// the body, not inside the runtime's calls (codensm_abi.inc), and carries
/// the period the call was chosen at in its low bits.  Struct: "struct " in
/// C, nothing in C++ (-Wredundant-tags); Long(E): E as the long
/// __builtin_expect takes (-Wtraditional-conversion in C; no C-style cast
/// in C++, -Wold-style-cast).
static std::string hotPathDefinitions(bool Cxx) {
  const std::string Struct = Cxx ? "" : "struct ";
  auto Long = [Cxx](const std::string &E) {
    return (Cxx ? "static_cast<long>(" : "(long)(") + E + ")";
  };
  return std::string() +
         "static __inline__ __UINT64_TYPE__ __codensm_ticks(void) {\n"
         "#if defined(__x86_64__)\n"
         "  return __builtin_ia32_rdtsc();\n"
         "#else\n"
         "  return __codensm_clock();\n"
         "#endif\n"
         "}\n"
         "static __inline__ __UINT64_TYPE__ __codensm_stamp(__UINT64_TYPE__ e) "
         "{\n"
         "  __UINT64_TYPE__ t = __codensm_ticks();\n"
         "  return t - (t & CNSM_SAMPLE_WEIGHT_MASK) + e;\n"
         "}\n"
         "static __codensm_hot " +
         Struct +
         "cnsm_chunk *__codensm_chunk_of("
         "__UINT64_TYPE__ slot) {\n"
         "  return slot < CNSM_CHUNK_SLOTS ? __codensm_home.chunk0\n"
         "         : cnsm_dir_chunks(__codensm_home.dir)[slot / "
         "CNSM_CHUNK_SLOTS];\n"
         "}\n"
         "static __codensm_hot __UINT64_TYPE__ __codensm_count(__UINT64_TYPE__ "
         "slot) {\n"
         "  " +
         Struct +
         "cnsm_chunk *c = __codensm_chunk_of(slot);\n"
         "  __UINT64_TYPE__ before = 1;\n"
         "#if defined(__x86_64__)\n"
         "  __asm__ __volatile__(\"xaddq %0, %1\" : \"+r\"(before),\n"
         "                       \"+m\"(c->slots[slot % "
         "CNSM_CHUNK_SLOTS].calls));\n"
         "#else\n"
         "  before = __atomic_fetch_add(&c->slots[slot % "
         "CNSM_CHUNK_SLOTS].calls, "
         "1, __ATOMIC_RELAXED);\n"
         "#endif\n"
         "  if (__builtin_expect(" +
         Long("(before & 0xffffffffu) < "
              "__atomic_load_n(&c->next[slot % CNSM_CHUNK_SLOTS], "
              "__ATOMIC_RELAXED)") +
         ", 1L))\n"
         "    return 0;\n"
         "  return __codensm_stamp(__codensm_sample_start(__codensm_unit, "
         "slot, "
         "c));\n"
         "}\n"
         /* A recursive function's frames in this thread, in its real chunk
          * (its count made it so); volatile, as the pass's, so the +1 and -1
          * are not folded around the runtime's read at the stop. */
         "static __codensm_hot __UINT64_TYPE__ "
         "__codensm_step_depth(__UINT64_TYPE__ "
         "slot, int delta) {\n"
         "  volatile __UINT16_TYPE__ *d =\n"
         "      &__codensm_chunk_of(slot)->depth[slot % CNSM_CHUNK_SLOTS];\n"
         /* No cast (C++'s -Wold-style-cast), no ++ on the volatile (C++20). */
         "  __UINT16_TYPE__ v = *d;\n"
         "  if (delta > 0)\n"
         "    ++v;\n"
         "  else\n"
         "    --v;\n"
         "  *d = v;\n"
         "  return slot;\n"
         "}\n"
         /* A call site's count of its edge: the calls field of the edge's
          * slot, untested, as the pass's (the caller's count made the chunk
          * real, and the runtime makes an edge's chunk real with its
          * caller's); one non-locked add on x86-64, as the count. */
         "static __codensm_hot void __codensm_count_edge(__UINT64_TYPE__ slot) "
         "{\n"
         "  __UINT64_TYPE__ *calls =\n"
         "      &__codensm_chunk_of(slot)->slots[slot % "
         "CNSM_CHUNK_SLOTS].calls;\n"
         "#if defined(__x86_64__)\n"
         "  __asm__ __volatile__(\"addq $1, %0\" : \"+m\"(*calls));\n"
         "#else\n"
         "  __atomic_fetch_add(calls, 1, __ATOMIC_RELAXED);\n"
         "#endif\n"
         "}\n"
         /* A small leaf's count (Leaf.h), as the pass's untimed entry: the
          * edge's add, once the thread's chunk is real (the runtime makes
          * it, and points the home at it, on the thread's first call of the
          * chunk's functions: the sentinel's real is 0), with no sample test
          * and nothing kept to the exits. */
         "static __codensm_hot __UINT64_TYPE__ __codensm_tally(__UINT64_TYPE__ "
         "slot) {\n"
         "  if (__builtin_expect(" +
         Long("__codensm_chunk_of(slot)->header.real == 0") + ", 0L))\n" +
         "    (void)__codensm_chunk(__codensm_unit, slot / CNSM_CHUNK_SLOTS);\n"
         "  __codensm_count_edge(slot);\n"
         "  return 0;\n"
         "}\n"
         "__attribute__((__noinline__, __cold__)) static void\n"
         "__codensm_settle(__UINT64_TYPE__ slot, __UINT64_TYPE__ t0, int err,\n"
         "                 __UINT64_TYPE__ mark) {\n"
         "  __UINT64_TYPE__ end = t0 ? __codensm_ticks() : 0;\n"
         "  if (err) {\n"
         "    __atomic_fetch_add(\n"
         "        &__codensm_chunk_of(slot)->slots[slot % "
         "CNSM_CHUNK_SLOTS].errors,\n"
         "                       1, __ATOMIC_RELAXED);\n"
         "    __codensm_error(__codensm_unit, slot, mark);\n"
         "  }\n"
         "  if (t0)\n"
         "    __codensm_sample_stop(__codensm_unit, slot, t0, end);\n"
         "}\n";
}

ReturnWrap edgeCount(bool Cxx, unsigned Slot) {
  return {"(__codensm_count_edge(" +
              (Cxx ? std::to_string(Slot) + "u" : cSlot(Slot)) + "), ",
          ")"};
}

/// A 64-bit constant as C and C++ read it whatever their version (no
/// long long in C89, no cast for -Wold-style-cast; codensm_abi.h brings
/// <stdint.h>).
static std::string u64(uint64_t V) {
  return "UINT64_C(" + std::to_string(V) + ")";
}

std::string epilogue(bool Cxx, llvm::StringRef ModuleName,
                     llvm::StringRef SourcePath,
                     const std::vector<FunctionRow> &Rows,
                     const std::vector<EdgeRow> &Edges, bool InitialExecTls) {
  const char *Null = Cxx ? "__null" : "0";
  // No class-key where C++ needs none (-Wredundant-tags).
  const char *Struct = Cxx ? "" : "struct ";
  std::string Out;
  llvm::raw_string_ostream OS(Out);
  OS << "\n/* codensm-rewrite: this unit's table and its registration. */\n"
     << addedBegin(Cxx) << "#include <codensm_abi.h>\n"
     << "static const " << Struct
     << "cnsm_function_info __codensm_functions[] = {\n";
  for (const FunctionRow &R : Rows)
    OS << "  "
       << initializer("function_info",
                      {{"name", cString(R.Name)},
                       {"department", cString(R.Department)},
                       {"file", cString(R.File)},
                       {"line", std::to_string(R.Line) + "u"},
                       {"weight", std::to_string(R.Weight) + "u"},
                       {"error_convention", std::to_string(R.Errors) + "u"},
                       {"flags", std::to_string(R.Flags) + "u"},
                       {"symbol_hash", u64(R.SymbolHash)}})
       << ",\n";
  OS << "};\n";
  if (!Edges.empty()) {
    OS << "static const " << Struct << "cnsm_edge_info __codensm_edges[] = {\n";
    for (const EdgeRow &E : Edges)
      OS << "  "
         << initializer("edge_info",
                        {{"caller", std::to_string(E.Caller) + "u"},
                         {"callee", std::to_string(E.Callee) + "u"},
                         {"callee_symbol", u64(E.CalleeSymbol)},
                         {"flags", "0u"},
                         {"per_call", "0u"}})
         << ",\n";
    OS << "};\n";
  }

  // The empty directory: the dir header, then one pointer per chunk, all
  // to the runtime's sentinel chunk (codensm_abi.h).
  unsigned Slots = Rows.size() + Edges.size();
  unsigned Chunks = (Slots + abi::CHUNK_SLOTS - 1) / abi::CHUNK_SLOTS;
  llvm::StringMap<std::string> DirHeader;
  for (const abi::FieldRow &F : abi::Fields)
    if (llvm::StringRef(F.Struct) == "dir")
      DirHeader[F.Name] = F.FieldKind == abi::Kind::PTR ? Null : "0";
  OS << "static struct { " << Struct << "cnsm_dir header; " << Struct
     << "cnsm_chunk *chunks[" << Chunks << "]; } __codensm_empty_dir = {"
     << initializer("dir", DirHeader) << ", {";
  for (unsigned K = 0; K < Chunks; ++K)
    OS << (K ? ", " : "") << "&__codensm_sentinel";
  OS << "}};\n"
     << "static __thread " << Struct << "cnsm_home __codensm_home "
     << (InitialExecTls ? "__attribute__((tls_model(\"initial-exec\"))) " : "")
     << "= {&__codensm_empty_dir.header, &__codensm_sentinel};\n"
     << "static void *__codensm_runtime_state;\n"
     << "static " << Struct << "cnsm_home *__codensm_dir_ref(const " << Struct
     << "cnsm_module_desc *d) {\n"
     << "  (void)d;\n  return &__codensm_home;\n}\n"
     << "static const " << Struct << "cnsm_module_desc __codensm_module = "
     << initializer("module_desc",
                    {{"abi_version", std::to_string(abi::ABI_VERSION) + "u"},
                     {"function_count", std::to_string(Rows.size()) + "u"},
                     {"module_name", cString(ModuleName)},
                     {"source_path", cString(SourcePath)},
                     {"functions", "__codensm_functions"},
                     {"dir_ref", "__codensm_dir_ref"},
                     {"empty_dir", "&__codensm_empty_dir.header"},
                     {"runtime_state", "&__codensm_runtime_state"},
                     {"edges", Edges.empty() ? Null : "__codensm_edges"},
                     {"edge_count", std::to_string(Edges.size()) + "u"}})
     << ";\n"
     << "static const " << Struct << "cnsm_module_desc *__codensm_unit("
     << (Cxx ? "" : "void") << ") {\n"
     << "  return &__codensm_module;\n}\n"
     << hotPathDefinitions(Cxx)
     << "__attribute__((__constructor__)) static void "
        "__codensm_register_unit(void) {\n"
     << "  __codensm_register(&__codensm_module);\n}\n"
     << "__attribute__((__destructor__)) static void "
        "__codensm_unregister_unit(void) {\n"
     << "  __codensm_unregister(&__codensm_module);\n}\n"
     << AddedEnd;
  return OS.str();
}

} // namespace rewrite
} // namespace codensm
