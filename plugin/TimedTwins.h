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
// the thread's chunk of counters the function's entry read.  The function
// itself counts the call and tests the sample as before; a sampled call
// continues in the twin (a tail call with the same arguments and the
// chunk), whose entry tells the runtime and reads the clock, and whose
// exits stop it.  The function's own exits then have nothing to stop, and
// the register, the pushes and the tests go; and since its sampled path
// calls nothing, a function that makes no other call needs no frame (the
// push that kept the stack aligned for the runtime's call, and its pops,
// went with round ten).  The twin runs the same optimised code, so the
// time it measures is the function's.
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

/// A function's twin, and in it the copy of the function's entry hook,
/// which ExpandHooks.cpp expands as a sampled call's start: the runtime's
/// sample_start with the twin's last parameter (the chunk), and the clock.
struct TimedTwin {
  llvm::Function *Body;
  llvm::CallInst *Entry;
};

/// By each function's own entry hook (the call to __codensm_enter it was
/// given before inlining).
using TwinMap = llvm::DenseMap<llvm::CallInst *, TimedTwin>;

/// Makes the twins of the functions of M whose own entry hook is timed and
/// for which Sampled says the unit samples (others are timed on every call
/// or never).  Each function's entry hook stays, to be expanded with a
/// tail call of its twin on the sampled path (ExpandHooks.cpp).
TwinMap
makeTimedTwins(llvm::Module &M,
               llvm::function_ref<bool(const llvm::CallInst &Enter)> Sampled);

/// The twin's call on a sampled path: F's arguments, then Chunk; returns
/// what the twin returns.  Built before B's insertion point, which must be
/// followed by nothing but the return the caller adds.
llvm::CallInst *callTwin(llvm::IRBuilder<> &B, llvm::Function &F,
                         llvm::Function &Twin, llvm::Value *Chunk);

} // namespace codensm

#endif // CODENSM_TIMEDTWINS_H
