// SPDX-License-Identifier: Apache-2.0
//===- CodeNSM.h - the CodeNSM instrumentation pass ----------------------===//
//
// Two module passes that count every call, error and (sampled) elapsed time
// of the functions instrumented, into a per-thread slot table whose indices
// are fixed at compile time, registered with libcodensm.  CodeNSMPass runs
// before inlining and places the hooks as two runtime calls (Markers.h);
// ExpandHooksPass runs after the optimiser and makes them inline code
// (HotPath.h).
//
// Usage:
//   clang -fpass-plugin=CodeNSM.so ...            (every -O level, LTO too)
//   opt -load-pass-plugin=CodeNSM.so -passes=codensm in.ll    (both passes)
//   opt ... -passes=codensm-instrument / codensm-expand       (one of them)
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

struct ExpandHooksPass : llvm::PassInfoMixin<ExpandHooksPass> {
  /// Unoptimised builds (-O0) keep the hooks as calls unless
  /// -codensm-expand-O0 asks otherwise (ExpandHooks.cpp says why).
  explicit ExpandHooksPass(bool Unoptimised = false)
      : Unoptimised(Unoptimised) {}
  llvm::PreservedAnalyses run(llvm::Module &M, llvm::ModuleAnalysisManager &);
  static bool isRequired() { return true; }

private:
  bool Unoptimised;
};

} // namespace codensm

#endif // CODENSM_PASS_H
