// SPDX-License-Identifier: Apache-2.0
//===- Naming.h - readable, stable function and module names -------------===//
//
// A function is reported as "<module>.<function>": the module is the source
// path relative to the configuration root without its extension, the
// function its demangled qualified name without parameters.  Functions
// that may exist in several translation units (inline and template code,
// linkonce/weak ODR) are named by their qualified name alone, so every copy
// aggregates under one name whichever TU's copy the linker keeps.  A
// function defined in a header is named by the header's module, so a
// `static inline` helper is one function, not one per TU that includes it.
// Lambdas read as c++filt writes them: "app::run(...)::{lambda(int)#1}".
//
//===----------------------------------------------------------------------===//
#ifndef CODENSM_NAMING_H
#define CODENSM_NAMING_H

#include "llvm/ADT/StringRef.h"

namespace llvm {
class Function;
} // namespace llvm

#include <string>

#include "Abi.h"

namespace codensm {

/// "shop::Cart<int>::total" for "_ZN4shop4CartIiE5totalEv"; C names and
/// anything that does not demangle come back unchanged.  An entity local to
/// a function is named after the function's own name, without its return
/// type and parameters, then "(...)": "app::run(...)::{lambda(int)#2}::
/// operator()" (the second lambda taking an int in app::run); a closure's
/// constructor and destructor are "{lambda(int)#2}::lambda" and "::~lambda".
std::string qualifiedFunctionName(llvm::StringRef LinkageName);

/// The outermost scope a function is declared in, read from its mangled
/// name: "std" for std::sort and std::__detail::_Hash_node<...>::f, "app"
/// for app::sum_sizes<int, std::string>, the enclosing function's for a
/// lambda or a local class; "" for the global namespace, C names and names
/// that are not Itanium-mangled.  Template arguments never count.
std::string outermostScope(llvm::StringRef LinkageName);

/// 64-bit FNV-1a of a linkage name: function_info.symbol_hash and
/// edge_info.callee_symbol, the same from the pass and from the rewriter.
uint64_t symbolHash(llvm::StringRef LinkageName);

/// Declared in the standard library's own namespaces (std, including
/// std::__1, std::_V2, std::__cxx11, std::__detail; __gnu_cxx; __gnu_debug;
/// __cxxabiv1), whatever its template arguments and its linkage.
bool isStandardLibraryName(llvm::StringRef LinkageName);

/// The header that defines F, relative to Root ("include/sds.h"), when the
/// debug info says F is defined in another file than its translation
/// unit's own source; "" without debug info (clang emits no DISubprogram
/// without -g, -gline-tables-only or -gline-directives-only), for functions
/// of the TU's own file and for headers outside Root.
std::string definingHeader(const llvm::Function &F, llvm::StringRef Root);

/// True when the function named Qualified may be named by its header: not
/// a template instance (with internal linkage, its arguments are the TU's
/// own types, so two TUs' instances are different code) and not one of
/// clang's "$_N" entities, numbered per TU.
bool nameableByHeader(llvm::StringRef Qualified);

/// The absolute, normalised form of a path given relative to the compiler's
/// working directory.
std::string absolutePath(llvm::StringRef Path);

/// Path relative to Root ("src/shop/cart.cpp"), or "" when it is not under it.
std::string relativeTo(llvm::StringRef AbsPath, llvm::StringRef Root);

/// "src/shop/cart" for "src/shop/cart.cpp".
std::string moduleNameFor(llvm::StringRef RelPath);

/// The directory part of a relative path, or "root" for files at the root.
std::string defaultDepartmentFor(llvm::StringRef RelPath);

/// Longest names and departments the ingest contract accepts (the
/// collector refuses a request holding a longer one, so one over-long
/// template name would block every send).
constexpr size_t MaxNameBytes = abi::MAX_NAME_BYTES,
                 MaxDepartmentBytes = abi::MAX_DEPARTMENT_BYTES;

/// Text itself when it fits in Max bytes; otherwise its start, "~" and 16
/// hex digits of a hash of the whole, Max bytes in all: still readable,
/// still unique, the same in every compilation.
std::string bounded(llvm::StringRef Text, size_t Max);

} // namespace codensm

#endif // CODENSM_NAMING_H
