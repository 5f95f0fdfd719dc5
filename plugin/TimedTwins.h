// SPDX-License-Identifier: Apache-2.0
//===- TimedTwins.h - a timed copy of each function, for its sampled calls
//-===//
//
// A timed function keeps the start of a sampled call from its entry to
// every exit: a callee-saved register, its push and pop, and a test at
// each exit, on every call, though only one in 64 to 16,384 is timed.  On
// Redis that was most of what timing cost (GET 1.27x plain CPU, 1.10x with
// timing off).  So, after the optimiser, a function whose own entry is
// timed gets a twin: a copy of its optimised body with one more parameter,
// the start of the call.  The function itself counts the call and tests
// the sample as before; a sampled call reads the clock and continues in
// the twin (a tail call with the same arguments), whose exits stop the
// clock.  The function's own exits then have nothing to stop, and the
// register, the pushes and the tests go.  The twin runs the same optimised
// code, so the time it measures is the function's.
//
// This is code versioning as in Arnold and Ryder's framework for sampled
// instrumentation: the twin is only ever entered by a sampled call, and is
// placed with the unlikely code.  Inlined copies of a function keep the
// start in a register (their arguments are gone by then); functions the
// twin could not copy faithfully keep it too (TimedTwins.cpp says which).
//
//===----------------------------------------------------------------------===//
#ifndef CODENSM_TIMEDTWINS_H
#define CODENSM_TIMEDTWINS_H

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Instructions.h"

namespace codensm {

/// A function's own entry hook (the call to __codensm_enter it was given
/// before inlining), and its twin.
using TwinMap = llvm::DenseMap<llvm::CallInst *, llvm::Function *>;

/// Makes the twins of the functions of M whose own entry hook is timed and
/// for which Sampled says the unit samples (others are timed on every call
/// or never).  In each twin the entry hook is gone and its start is the
/// last parameter; each function's entry hook stays, to be expanded with a
/// tail call of its twin on the sampled path (ExpandHooks.cpp).
TwinMap
makeTimedTwins(llvm::Module &M,
               llvm::function_ref<bool(const llvm::CallInst &Enter)> Sampled);

/// The twin's call on a sampled path: F's arguments, then Start; returns
/// what the twin returns.  Built before B's insertion point, which must be
/// followed by nothing but the return the caller adds.
llvm::CallInst *callTwin(llvm::IRBuilder<> &B, llvm::Function &F,
                         llvm::Function &Twin, llvm::Value *Start);

} // namespace codensm

#endif // CODENSM_TIMEDTWINS_H
