// SPDX-License-Identifier: Apache-2.0
//===- Trivial.h - which functions are too small to be worth a probe ------===//
//
// A leaf (it calls no function, only intrinsics), loop-free function of a
// few instructions is an accessor or a small computation: `sdslen`, a
// getter, a comparison.  Compilers inline it everywhere, and each inlined
// copy carrying a probe is where an instrumented server pays most: Redis
// spends 1.4-1.6x CPU per request with every such helper counted.  The
// policy leaves these out (as XRay leaves out functions under 200
// machine instructions), announces each as not instrumented, and lets the
// user bring any back with CODENSM_TRACK or a threshold of 0.
//
//===----------------------------------------------------------------------===//
#ifndef CODENSM_TRIVIAL_H
#define CODENSM_TRIVIAL_H

#include "llvm/IR/Function.h"

namespace codensm {

/// Whether F calls no function (intrinsics aside), has no loop, and has at
/// most MaxInstructions instructions that do work.  Counted on the IR as
/// the front end emits it, so what the optimiser will remove does not
/// count: allocas, debug and lifetime intrinsics, casts, phis,
/// unconditional branches, and the loads and stores of local variables.
bool isTrivial(const llvm::Function &F, unsigned MaxInstructions);

/// Whether F has no loop and at most MaxInstructions instructions that do
/// work (counted as isTrivial counts them; calls included).  Such a
/// function, inlined, runs for a few ns plus what it calls: its inlined
/// copies are counted but not timed (their time stays in the caller's, as
/// that of any inlined code), and only calls of its own body are timed.
/// The sample test and the start time each inlined copy carried were a
/// fifth of what instrumentation cost SQLite (docs/performance.md).
bool isStraightAndSmall(const llvm::Function &F, unsigned MaxInstructions);

/// Whether F's control flow has no cycle (no loop, no goto backwards).
bool isLoopFree(const llvm::Function &F);

} // namespace codensm

#endif // CODENSM_TRIVIAL_H
