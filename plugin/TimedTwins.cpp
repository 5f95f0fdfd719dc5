// SPDX-License-Identifier: Apache-2.0
//===- TimedTwins.cpp - a timed copy of each function, for its sampled calls
//-===//
#include "TimedTwins.h"
#include "Compat.h"
#include "Markers.h"
#include "Trivial.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/Statistic.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/IR/InlineAsm.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Transforms/Utils/Cloning.h"

#define DEBUG_TYPE "codensm"

using namespace llvm;

static cl::opt<bool> ClTimedTwins(
    "codensm-timed-twins",
    cl::desc("Time a function's sampled calls in a copy of its body (its "
             "twin), so that its own exits test nothing and keep no start "
             "time in a register"),
    cl::init(true), cl::Hidden);

// What a twin saves is per call (a register, its push and pop, a test at
// each exit); what it costs is a copy of the body, in code size and in the
// code generator's time.  A long function pays the saving's worth many
// times over in its body, and makes the largest copies: SQLite's
// sqlite3VdbeExec alone is some 9,000 instructions.  Under callgrind,
// speedtest1 --size 3 runs 507 M instructions with twins of functions up to
// 200, against 540 M without twins and 509 M with twins up to 1,000, whose
// .text is 3.4 MB against 2.8 (2.3 without twins, 1.1 plain).
static cl::opt<unsigned> ClTwinMaxInstructions(
    "codensm-twin-max-instructions",
    cl::desc("Give timed twins only to functions of at most this many IR "
             "instructions after the optimiser (larger ones keep the start "
             "of a sampled call in a register)"),
    cl::init(200), cl::Hidden);

// A loop-free function runs each of its instructions at most once a call,
// so the register and the exits' tests are a fixed share of every call; a
// long loop pays them once for all its iterations, and the twins of
// functions with loops are most of what twins add to compile time.  A
// short loop (a hash chain's walk, a search of a few entries) runs few
// times and saves as a loop-free function does (Redis's freeClientArgv,
// once a command).  Measured (callgrind:
// speedtest1 --size 3; a Redis GET and SET, instructions a request; clang
// -cc1 on bench/run's generated corpus, whose looped functions have 33 to
// 64 instructions):
//   twins of                      speedtest1  GET    SET    corpus
//   none                          539.8 M     4,848  7,461  3,126 M
//   loop-free                     510.3 M     4,607  7,130  3,172 M
//   loop-free, loops up to 32     509.9 M     4,550  6,943  3,174 M
//   loop-free, loops up to 48     504.5 M     4,553  6,890  3,328 M
//   every function up to 200      507.1 M     4,530  6,937  3,585 M
static cl::opt<unsigned> ClTwinLoopMaxInstructions(
    "codensm-twin-loop-max-instructions",
    cl::desc("Give timed twins to functions with loops of at most this many "
             "IR instructions (0: none)"),
    cl::init(32), cl::Hidden);

// A C++ inline function or template instance is compiled, twin and all, by
// every unit that uses it: fmtlib's core-test.cc takes 17.3 s with their
// twins, 14.8 s without them or without any twin (plain 9.1 s).
static cl::opt<bool> ClTwinOdr(
    "codensm-twin-odr",
    cl::desc("Give timed twins to functions every unit that uses them "
             "compiles (C++ inline functions and template instances)"),
    cl::init(false), cl::Hidden);

STATISTIC(NumTwins, "Functions whose sampled calls run in a timed twin");
STATISTIC(NumNotTwinned,
          "Timed functions left with the start in a register: their twin "
          "would not run as they do");

namespace codensm {

/// F's own entry hook: the call to Enter in its entry block whose home is
/// F (an inlined copy's home is the function it was copied from).
static CallInst *ownEntry(Function &F, const Function *Enter) {
  for (Instruction &I : F.getEntryBlock())
    if (auto *Call = dyn_cast<CallInst>(&I))
      if (Call->getCalledOperand() == Enter && homeOf(*Call) == &F)
        return Call;
  return nullptr;
}

/// Whether what the optimiser left before Hook may run twice, once in the
/// function and again in its twin, without a difference: nothing that
/// writes memory, reads volatile memory, may throw or may not return.
static bool repeatableUpTo(const CallInst &Hook) {
  for (const Instruction &I : *Hook.getParent()) {
    if (&I == &Hook)
      return true;
    if (I.mayHaveSideEffects())
      return false;
  }
  return false;
}

/// Whether inline assembly defines a named label (`name:`), which a copy
/// would define twice (numbered local labels and `%=` are unique per copy).
static bool definesNamedLabel(const InlineAsm &Asm) {
  StringRef Text = Asm.getAsmString();
  for (size_t Colon = Text.find(':'); Colon != StringRef::npos;
       Colon = Text.find(':', Colon + 1)) {
    size_t Start = Colon;
    while (Start > 0 && (isAlnum(Text[Start - 1]) || Text[Start - 1] == '_' ||
                         Text[Start - 1] == '.' || Text[Start - 1] == '$'))
      --Start;
    if (Start < Colon && !isDigit(Text[Start]))
      return true;
  }
  return false;
}

/// Whether a copy of F, called from F with F's arguments, behaves as F:
/// not when F reads its own frame's place in the stack (its return or
/// frame address), takes the address of its blocks (computed goto: the
/// constants would still name F's), forwards its variable arguments or
/// must tail-call (the twin's extra parameter changes its prototype),
/// or holds a call that must not be duplicated or assembly that names a
/// label.
static bool copiesFaithfully(const Function &F) {
  if (F.isVarArg() || F.hasFnAttribute(Attribute::Naked))
    return false;
  for (const Argument &A : F.args())
    if (A.hasInAllocaAttr() || A.hasPreallocatedAttr() ||
        A.hasSwiftErrorAttr() || A.hasNestAttr())
      return false;
  for (const BasicBlock &BB : F) {
    if (BB.hasAddressTaken())
      return false;
    for (const Instruction &I : BB) {
      const auto *Call = dyn_cast<CallBase>(&I);
      if (!Call)
        continue;
      if (isa<CallBrInst>(Call) || Call->cannotDuplicate())
        return false;
      if (const auto *Asm = dyn_cast<InlineAsm>(Call->getCalledOperand());
          Asm && definesNamedLabel(*Asm))
        return false;
      if (const auto *CI = dyn_cast<CallInst>(Call); CI && CI->isMustTailCall())
        return false;
      if (const Function *Callee = Call->getCalledFunction())
        switch (Callee->getIntrinsicID()) {
        case Intrinsic::returnaddress:
        case Intrinsic::addressofreturnaddress:
        case Intrinsic::frameaddress:
        case Intrinsic::sponentry:
        case Intrinsic::localescape:
          return false;
        default:
          break;
        }
    }
  }
  return true;
}

/// Whether what a twin saves F's calls outweighs what it costs the build:
/// F is short, loop-free and compiled once (the options above say why).
static bool worthATwin(const Function &F) {
  unsigned Size = F.getInstructionCount();
  return Size <= ClTwinMaxInstructions &&
         (Size <= ClTwinLoopMaxInstructions || isLoopFree(F)) &&
         (ClTwinOdr || !(F.hasLinkOnceLinkage() || F.hasWeakLinkage()));
}

/// F's twin: its body, with one more parameter, the chunk F's entry read.
/// Internal, in F's comdat (discarded with it), never inlined, and placed
/// with the unlikely code unless F names a section of its own.
static TimedTwin makeTwin(Function &F, CallInst &Hook) {
  FunctionType *Ty = F.getFunctionType();
  SmallVector<Type *, 8> Params(Ty->param_begin(), Ty->param_end());
  Params.push_back(dataPtrTy(F.getContext()));
  Function *Twin = Function::Create(
      FunctionType::get(Ty->getReturnType(), Params, /*isVarArg=*/false),
      GlobalValue::ExternalLinkage, F.getAddressSpace(),
      F.getName() + ".codensm.timed", F.getParent());
  ValueToValueMapTy Map;
  for (auto [From, To] : zip(F.args(), Twin->args())) {
    To.setName(From.getName());
    Map[&From] = &To;
  }
  SmallVector<ReturnInst *, 8> Returns;
  CloneFunctionInto(Twin, &F, Map, CloneFunctionChangeType::LocalChangesOnly,
                    Returns);
  Twin->setLinkage(GlobalValue::InternalLinkage); // also default visibility
  Twin->setComdat(F.getComdat());
  Twin->removeFnAttr(Attribute::AlwaysInline);
  Twin->addFnAttr(Attribute::NoInline);
  if (!F.hasSection())
    Twin->setSectionPrefix("unlikely");
  Twin->getArg(Twin->arg_size() - 1)->setName("codensm.chunk");
  // The twin is F's own body: F's hooks in it are at home there, not
  // inlined copies (an inlined copy keeps its own home).
  for (Instruction &I : instructions(*Twin))
    if (auto *Call = dyn_cast<CallInst>(&I); Call && homeOf(*Call) == &F)
      markHome(Call, *Twin);
  return {Twin, cast<CallInst>(Map[&Hook])};
}

TwinMap makeTimedTwins(Module &M,
                       function_ref<bool(const CallInst &Enter)> Sampled) {
  TwinMap Twins;
  Function *Enter = M.getFunction(EnterHookName);
  if (!ClTimedTwins || !Enter)
    return Twins;
  std::vector<std::pair<Function *, CallInst *>> Chosen;
  for (Function &F : M) {
    if (F.isDeclaration())
      continue;
    CallInst *Hook = ownEntry(F, Enter);
    if (!Hook || Hook->use_empty() || !Sampled(*Hook) || !worthATwin(F))
      continue;
    if (repeatableUpTo(*Hook) && copiesFaithfully(F))
      Chosen.push_back({&F, Hook});
    else
      ++NumNotTwinned;
  }
  for (auto [F, Hook] : Chosen) {
    Twins[Hook] = makeTwin(*F, *Hook);
    ++NumTwins;
  }
  return Twins;
}

CallInst *callTwin(IRBuilder<> &B, Function &F, Function &Twin, Value *Chunk) {
  SmallVector<Value *, 8> Args;
  for (Argument &A : F.args())
    Args.push_back(&A);
  Args.push_back(
      B.CreatePointerCast(Chunk, Twin.getArg(F.arg_size())->getType()));
  CallInst *Call = B.CreateCall(&Twin, Args);
  Call->setCallingConv(Twin.getCallingConv());
  // Each argument passed as F took it (byval, sret, inreg...): the twin's
  // ABI is F's with one more pointer.
  AttributeList Attrs = F.getAttributes();
  SmallVector<AttributeSet, 8> ParamAttrs;
  for (unsigned I = 0; I < F.arg_size(); ++I)
    ParamAttrs.push_back(Attrs.getParamAttrs(I));
  ParamAttrs.push_back(AttributeSet());
  Call->setAttributes(AttributeList::get(B.getContext(), AttributeSet(),
                                         Attrs.getRetAttrs(), ParamAttrs));
  Call->setTailCall();
  if (F.doesNotThrow())
    Call->setDoesNotThrow();
  return Call;
}

} // namespace codensm
