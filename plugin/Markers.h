// SPDX-License-Identifier: Apache-2.0
//===- Markers.h - the hooks as the optimiser sees them ------------------===//
//
// Before inlining, the pass places at every instrumented function's entry
//   %t0 = call i64 @__codensm_enter(ptr @__codensm_unit, i64 <slot>)
// and before every exit
//   call void @__codensm_exit(ptr @__codensm_unit, i64 <slot>, i64 %t0,
//                             i64 %is_error)
// (%t0 is 0 for an untimed function, %is_error 0 when the exit cannot be an
// error, 1 when it is an unwind, and the convention's test otherwise).
// Inlining copies them with the function's body, so an inlined call is
// still counted and timed.  Two calls are what the optimiser carries through
// the pipeline instead of the count, the sample test and their four blocks,
// which is most of the plugin's compile-time cost; `nomerge` keeps any pass
// from folding two functions' hooks into one, and they are declared to
// touch only memory the program cannot see, so the program's own loads and
// stores are optimised across them as if they were not there.  After the
// optimiser, ExpandHooksPass replaces them with the inline hot path
// (HotPath.h).  The runtime defines both as ordinary functions with the same
// effect, so a pipeline that never expands them still counts exactly, only
// slower.
//
//===----------------------------------------------------------------------===//
#ifndef CODENSM_MARKERS_H
#define CODENSM_MARKERS_H

#include "HotPath.h"

#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Module.h"

#include <vector>

namespace codensm {

inline constexpr const char *EnterHookName = "__codensm_enter";
inline constexpr const char *ExitHookName = "__codensm_exit";
inline constexpr const char *ErrorMarkHookName = "__codensm_error_mark";
inline constexpr const char *EdgeHookName = "__codensm_edge";
inline constexpr const char *DepthHookName = "__codensm_depth";
/// The thread's error epoch (runtime/causes.c), which the expanded error
/// mark reads inline.
inline constexpr const char *ErrorEpochName = "__codensm_error_epoch";

llvm::CallInst *createEnterHook(llvm::IRBuilder<> &B, llvm::Function *Unit,
                                unsigned Slot);
/// The thread's error epoch at a function's entry, for the root cause
/// of its error exits (runtime/causes.c).
llvm::CallInst *createErrorMarkHook(llvm::IRBuilder<> &B);
/// A call site's count of its caller->callee edge, whose slot follows the
/// unit's function slots (Edges.h).
llvm::CallInst *createEdgeHook(llvm::IRBuilder<> &B, llvm::Function *Unit,
                               unsigned Slot);
/// A recursive function's depth in this thread moves by Delta (+1 after
/// its entry, -1 after each exit).
llvm::CallInst *createDepthHook(llvm::IRBuilder<> &B, llvm::Function *Unit,
                                unsigned Slot, int Delta);
/// The function an entry hook was placed in: inlining copies the mark with
/// the hook, so after the optimiser a hook whose home is the function it is
/// in is that function's own entry, not an inlined copy's (TimedTwins.h).
void markHome(llvm::CallInst *Enter, llvm::Function &F);
/// The home of Enter, or null (never marked, or its home was deleted).
llvm::Function *homeOf(const llvm::CallInst &Enter);
/// Enter, a timed function's entry hook marked with its home, times calls
/// in its home's own body only: an inlined copy of it (in another
/// function's body, or the home's body gone once inlined everywhere) is
/// counted, not timed (Trivial.h's inlined policy).  A flag beside the
/// home, which inlining copies with the hook.
void markTimedInOwnBodyOnly(llvm::CallInst *Enter);
/// Whether Enter is an inlined copy of an entry so marked.
bool isUntimedInlinedCopy(const llvm::CallInst *Enter);
/// Tells the inliner that Hook (an entry so marked, or an exit of its
/// function) costs nothing: inlined, it becomes one increment, or nothing.
void priceAsInlinedCopy(llvm::CallInst *Hook);
/// Mark: the entry's error mark, or 0 when no exit can be an error.
llvm::CallInst *createExitHook(llvm::IRBuilder<> &B, llvm::Function *Unit,
                               unsigned Slot, llvm::Value *Start,
                               llvm::Value *IsError, llvm::Value *Mark);

/// One instrumented translation unit's tables, recorded in the module's
/// !codensm.instrumented metadata for the expansion after the optimiser.
struct ModuleTables {
  llvm::Function *Unit = nullptr;          ///< returns the descriptor
  llvm::GlobalVariable *TlsHome = nullptr; ///< this thread's home (abi)
  TimingMode Timing = TimingMode::Sampled;
  /// The unit's edge_info array (null when it has no edge), whose flags
  /// the expansion may still raise (CopiesFromEdges.h), and its number of
  /// functions, the first edge's slot.
  llvm::GlobalVariable *Edges = nullptr;
  unsigned FunctionCount = 0;
};

/// Marks the module as instrumented; returns false when it already was.
bool markInstrumented(llvm::Module &M);
void recordTables(llvm::Module &M, const ModuleTables &Tables);
std::vector<ModuleTables> findTables(const llvm::Module &M);

} // namespace codensm

#endif // CODENSM_MARKERS_H
