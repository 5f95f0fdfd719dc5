//===- CodeNSM.h - the CodeNSM instrumentation pass ----------------------===//
//
// A module pass that counts every call, error and (sampled) elapsed time of
// the functions it instruments, into a per-thread slot table whose indices
// are fixed at compile time, and registers the table with libcodensm.
//
// Usage:
//   clang -fpass-plugin=CodeNSM.so ...            (every -O level, LTO too)
//   opt -load-pass-plugin=CodeNSM.so -passes=codensm in.ll
//
//===----------------------------------------------------------------------===//
#ifndef CODENSM_PASS_H
#define CODENSM_PASS_H

#include "llvm/IR/PassManager.h"

namespace codensm {

struct CodeNSMPass : llvm::PassInfoMixin<CodeNSMPass> {
  llvm::PreservedAnalyses run(llvm::Module &M, llvm::ModuleAnalysisManager &);
  // Without this, clang -O0 marks functions optnone and skips the pass.
  static bool isRequired() { return true; }
};

} // namespace codensm

#endif // CODENSM_PASS_H
