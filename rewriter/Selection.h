// SPDX-License-Identifier: Apache-2.0
//===- Selection.h - which functions of a file get a probe, by what name -===//
//
// The pass's rules (CodeNSM.cpp's chooseFunctions), read from clang's AST
// instead of the IR, with the pass's own code for what does not depend on
// either (plugin/Config, Naming, Annotations): the configuration found by
// walking up from the file, include and exclude, CODENSM_SKIP and
// CODENSM_TRACK, the standard library left out, names from the mangled name
// ("<module>.<qualified>", or the qualified name alone for inline and
// template code that may exist in several units), departments, weights and
// error conventions from annotations first, then .codensm.yaml.
//
// What only the source can say: only functions whose body is written in a
// file the caller can rewrite (the main file, and with codensm-gcc the
// project's own headers, Headers.h) get a probe, and not those a probe
// cannot enter: bodies made by a macro, constexpr and consteval functions
// (a guard is not a literal type), coroutines, function-try-blocks, naked
// functions.  A function of a header under the configuration's root is
// named by the header ("<header module>.<fn>", its department the
// header's), as the pass names it from the debug info: a static inline
// helper has a slot in every unit that uses it and one name in all.  A template
// is rewritten once for all its instances, each with its row named as the
// pass names it, told apart by the pattern's one probe (Instances.h); one row
// for all, "<qualified name><...>", when their arguments cannot be spelled.
//
//===----------------------------------------------------------------------===//
#ifndef CODENSM_REWRITE_SELECTION_H
#define CODENSM_REWRITE_SELECTION_H

#include "Annotations.h"
#include "Config.h"
#include "Instances.h"
#include "ProbeText.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/Mangle.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <optional>
#include <string>

namespace codensm {
namespace rewrite {

/// What was decided about one function.
struct FunctionPlan {
  const clang::FunctionDecl *FD = nullptr;
  /// The `= default` its body is written as (outOfClassDefault), invalid
  /// for a body in braces.
  clang::CharSourceRange Defaulted;
  FunctionRow Row;
  bool Timed = true;
  /// A small leaf (Leaf.h), which nothing can make fail: its probe is the
  /// count alone, and its rows say UNTIMED.
  bool CountOnly = false;
  /// On a cycle of the unit's call graph (Recursion.h): the probe keeps
  /// the function's depth in the thread, and its rows say RECURSIVE.
  bool Recursive = false;
  /// An exception may leave it (Unwind.h): its C++ guard tells unwinding
  /// from a return.  Without, and without an error convention, it cannot
  /// fail, and its guard is the calm one.
  bool MayUnwind = true;
  /// The return type as the probe declares it, and the error convention's
  /// test on it (ErrorCheck.h); both "" when returns are not checked.
  std::string ReturnType, Check;
  /// A template whose instances each have a row (Instances.h): the rows
  /// after Row, one per further instance, and the tags of the pattern and
  /// of every instance; empty otherwise.
  std::vector<FunctionRow> MoreRows;
  std::string PatternTag;
  std::vector<std::string> InstanceTags;
};

/// The `= default` of a destructor or default constructor defaulted
/// outside its class (`W::~W() = default;`), as the file writes it, else
/// an invalid range.  Such a member is user-provided, never trivial, so
/// the body `{}` in its place means the same, and can hold a probe: a
/// pimpl's destructor is where its implementation is destroyed.
clang::CharSourceRange outOfClassDefault(const clang::FunctionDecl *FD);

/// The name the pass sees: the mangled name (a constructor's and a
/// destructor's complete-object variant), or the C name.
std::string linkageName(const clang::FunctionDecl *FD, clang::MangleContext &M);

class Selection {
public:
  /// The configuration for SourcePath (Config.h): ConfigFile when given,
  /// else the nearest .codensm.yaml; Department, when given, is every
  /// function's (annotations still win).
  static llvm::Expected<Selection> forFile(llvm::StringRef SourcePath,
                                           llvm::StringRef ConfigFile,
                                           llvm::StringRef Department);

  /// The plan for FD, none when it is not instrumented, or an error for a
  /// malformed annotation.  Rewritable says whether a body whose '{' is
  /// at a location may get a probe; NeverEmitted holds the helpers no
  /// emitted code refers to (Emitted.h); InstancesOfPatterns, each
  /// template's instances (Instances.h).
  llvm::Expected<std::optional<FunctionPlan>>
  plan(const clang::FunctionDecl *FD, clang::ASTContext &Ctx,
       clang::MangleContext &Mangler,
       llvm::function_ref<bool(clang::SourceLocation)> Rewritable,
       const llvm::DenseSet<const clang::FunctionDecl *> &NeverEmitted,
       const InstancesByPattern &InstancesOfPatterns) const;

  /// One row for all the instances of every template (the probe names
  /// none): codensm-gcc's retry when GCC refuses the overloads naming them.
  void giveTemplatesOneRow() { TellInstancesApart = false; }

  const std::string &moduleName() const { return Module; }
  /// Whether a header (an absolute path) is the project's: under the
  /// configuration's root, or anywhere when no .codensm.yaml was found.
  bool ownsHeader(llvm::StringRef AbsPath) const;

private:
  /// The row of FD named Qualified (an instance's name, for a template).
  FunctionRow row(const clang::FunctionDecl *FD, llvm::StringRef Qualified,
                  clang::GVALinkage Linkage, const FunctionAnnotations &Notes,
                  const clang::SourceManager &SM) const;

  Config Cfg;
  std::string RelPath, Module, FileDepartment;
  bool FileIncluded = true, HasConfigFile = false, DepartmentGiven = false;
  bool TellInstancesApart = true;
};

} // namespace rewrite
} // namespace codensm

#endif // CODENSM_REWRITE_SELECTION_H
