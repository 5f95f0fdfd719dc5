// SPDX-License-Identifier: Apache-2.0
//===- Instrumenter.h - rewrite one file's functions with probes ---------===//
//
// A clang FrontendAction: parses the file with its compile flags, chooses
// the functions (Selection.h), and rewrites the main file's text: the
// prologue on top, a probe after each chosen body's '{', each checked
// return's value wrapped, and the epilogue at the end (ProbeText.h).  The
// result goes to Output; a file with nothing to instrument comes back
// unchanged.  With a header directory, the functions of the project's
// headers get probes too, in copies written there (Headers.h).
//
//===----------------------------------------------------------------------===//
#ifndef CODENSM_REWRITE_INSTRUMENTER_H
#define CODENSM_REWRITE_INSTRUMENTER_H

#include "clang/Frontend/FrontendAction.h"

#include <memory>
#include <string>

namespace codensm {
namespace rewrite {

struct RewriteOptions {
  std::string SourcePath;      ///< the file as the user named it (#line, names)
  std::string ConfigFile;      ///< -codensm-config
  std::string Department;      ///< -codensm-department
  std::string HeaderDir;       ///< -header-dir: "" leaves headers alone
  bool InitialExecTls = false; ///< -codensm-tls-model=initial-exec
  bool OneRowPerTemplate = false; ///< -codensm-one-row-per-template
};

class InstrumentAction : public clang::ASTFrontendAction {
public:
  InstrumentAction(const RewriteOptions &Options, std::string &Output)
      : Options(Options), Output(Output) {}

protected:
  std::unique_ptr<clang::ASTConsumer>
  CreateASTConsumer(clang::CompilerInstance &CI, llvm::StringRef File) override;

private:
  const RewriteOptions &Options;
  std::string &Output;
};

} // namespace rewrite
} // namespace codensm

#endif // CODENSM_REWRITE_INSTRUMENTER_H
