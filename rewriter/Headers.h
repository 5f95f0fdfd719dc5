// SPDX-License-Identifier: Apache-2.0
//===- Headers.h - the project's headers a unit includes, rewritten -------===//
//
// The pass sees a header's functions in every unit that uses them; the
// rewriter sees them too, but a header's text is shared by other units, so
// it is not rewritten in place: with -header-dir=DIR, every header of the
// project the unit includes is written to DIR/<its absolute path>, with its
// probes (slots of this unit's table) or unchanged, and a #line giving the
// original's name back.  codensm-gcc puts DIR's copies of the include
// directories first on the path, so GCC reads the copies: relative
// includes between them resolve as between the originals.
//
// The project's headers: not system headers (-isystem, the compiler's own
// directories and anything below them, such as -I/usr/include/glib-2.0),
// and under the .codensm.yaml's root when there is one.  GCC reads one
// copy for every entry of a header, so a header entered several times gets
// its probes at its first entry only, and none at all when a later entry
// defines functions too (pcre2test.c includes pcre2_printint.c three times,
// its functions named by a macro for 8, 16 and 32 bits): the first entry's
// probes, slots of its functions, would count the others' calls.
//
//===----------------------------------------------------------------------===//
#ifndef CODENSM_REWRITE_HEADERS_H
#define CODENSM_REWRITE_HEADERS_H

#include "clang/AST/Decl.h"
#include "clang/Basic/SourceManager.h"
#include "clang/Lex/HeaderSearch.h"
#include "clang/Rewrite/Core/Rewriter.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace codensm {
namespace rewrite {

class ProjectHeaders {
public:
  /// The headers of the unit SM holds that Owns (an absolute path) says
  /// are the project's, system directories excepted (HS).
  ProjectHeaders(const clang::SourceManager &SM, const clang::HeaderSearch &HS,
                 llvm::function_ref<bool(llvm::StringRef)> Owns);

  /// Whether a probe may go at Loc: the main file, or the first entry of
  /// one of the project's headers that no later entry defines functions in.
  bool rewritable(clang::SourceLocation Loc) const;

  /// Takes away the probes of each header a later entry of which holds the
  /// body of one of Functions.
  void refuseReenteredDefinitions(
      llvm::ArrayRef<const clang::FunctionDecl *> Functions);

  /// Writes each header under Dir, with R's changes when it has any.
  llvm::Error write(const clang::Rewriter &R, llvm::StringRef Dir) const;

private:
  struct Header {
    clang::FileID First;
    std::string Path; ///< absolute, as the include path reaches it
  };
  const clang::SourceManager &SM;
  std::vector<Header> Headers;
  llvm::DenseMap<clang::FileID, unsigned> Index;
  /// The later entries of each header of Headers: its index there.
  llvm::DenseMap<clang::FileID, unsigned> LaterEntries;
};

} // namespace rewrite
} // namespace codensm

#endif // CODENSM_REWRITE_HEADERS_H
