// SPDX-License-Identifier: Apache-2.0
//===- Config.h - .codensm.yaml: which files, which departments ----------===//
//
// A configuration says which translation units are instrumented (include and
// exclude path globs), which department a source path works for, and which
// value weight and error convention a function name prefix carries.  It is
// found by walking up from the source file, as clang-format finds
// .clang-format, or named with -mllvm -codensm-config=PATH; its directory is
// the root that relative paths and module names start from.
//
//===----------------------------------------------------------------------===//
#ifndef CODENSM_CONFIG_H
#define CODENSM_CONFIG_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "Abi.h"

namespace codensm {

/// The error conventions of include/codensm_abi.inc.
enum ErrorConvention : unsigned {
  ErrorsNone = abi::Errors_NONE,
  ErrorsNegative = abi::Errors_NEGATIVE,
  ErrorsNonzero = abi::Errors_NONZERO,
  ErrorsZero = abi::Errors_ZERO,
  ErrorsNull = abi::Errors_NULL,
  ErrorsFalse = abi::Errors_FALSE,
};
/// The convention spelled Name in .codensm.yaml and annotations.
std::optional<ErrorConvention> parseErrorConvention(llvm::StringRef Name);

/// The default of `untimed_instructions` (-codensm-untimed-instructions;
/// codensm-rewrite's estimate from the AST, rewriter/Leaf.h): an accessor's
/// time is below what a clock read can see, and timing it (the sample test
/// at entry, the start time kept to every exit) is most of what it costs an
/// instrumented server (docs/performance.md, round five).
constexpr unsigned DefaultUntimedInstructions = 32;

struct Config {
  std::string File; ///< the .codensm.yaml it came from, "" when none
  std::string Root; ///< absolute directory relative paths start from
  std::vector<std::string> Include; ///< empty: every file
  std::vector<std::string> Exclude;
  std::vector<std::pair<std::string, std::string>> Departments; ///< path prefix
  std::vector<std::pair<std::string, unsigned>> Weights;        ///< name prefix
  std::vector<std::pair<std::string, ErrorConvention>> Errors;  ///< name prefix
  /// Leaf, loop-free functions of at most this many instructions are not
  /// instrumented (Trivial.h); unset: the plugin's default.
  std::optional<unsigned> TrivialInstructions;
  /// Leaf, loop-free functions of at most this many instructions are
  /// counted but not timed; unset: the plugin's default.
  std::optional<unsigned> UntimedInstructions;
  /// Loop-free functions of at most this many instructions are timed in
  /// their own body only, counted where inlined; unset: the default.
  std::optional<unsigned> UntimedInlinedInstructions;

  /// Whether a path relative to Root is instrumented: selected by Include
  /// and Exclude (exclude wins), and by -codensm-include and
  /// -codensm-exclude when a build system gave them, which match the
  /// source's absolute path SourcePath relative to -codensm-glob-root (or
  /// -codensm-source-path as given).
  bool instruments(llvm::StringRef RelPath, llvm::StringRef SourcePath) const;
  /// The department of the longest matching path prefix, if any.
  std::optional<std::string> departmentFor(llvm::StringRef RelPath) const;
  /// The weight of the longest matching function name prefix, if any.
  std::optional<unsigned> weightFor(llvm::StringRef Name) const;
  /// The error convention of the longest matching name prefix, if any.
  std::optional<ErrorConvention> errorsFor(llvm::StringRef Name) const;
};

/// The nearest .codensm.yaml in Dir or above it, or "" when there is none.
std::string findConfigFile(llvm::StringRef Dir);

/// Parses File; the error names file, line, column and the problem.
llvm::Expected<Config> loadConfig(llvm::StringRef File);

/// Git-style path globs: '*' and '?' stay within one path component, '**'
/// spans any number of them, and a pattern without '/' matches the file
/// name at any depth.
bool globMatches(llvm::StringRef Pattern, llvm::StringRef RelPath);

} // namespace codensm

#endif // CODENSM_CONFIG_H
