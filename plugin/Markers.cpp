// SPDX-License-Identifier: Apache-2.0
//===- Markers.cpp - the hooks as the optimiser sees them ----------------===//
#include "Markers.h"
#include "Compat.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/Metadata.h"
#include "llvm/Support/CommandLine.h"

using namespace llvm;

namespace codensm {

static const char *const InstrumentedMetadata = "codensm.instrumented";

static cl::opt<bool> ClHookMemory(
    "codensm-hooks-inaccessible",
    cl::desc("Tell the optimiser that the hook calls touch only memory the "
             "program cannot see (the counters), so loads and stores of the "
             "program's own memory move and fold across them"),
    cl::init(true), cl::Hidden);

// The inliner prices each call in a function's body (about 40 of the 225
// an -O2 callee may cost), and a function holds an entry hook, one exit
// hook per return and an edge hook per call site: a small static function
// with two returns and three calls carries some 250 of hooks, and is not
// inlined where the plain build inlines it (SQLite's
// sqlite3BtreePayloadFetch, moveToChild, sqlite3ValueText...: a call and a
// frame each, on top of the probe).  With this option the inliner is told
// they cost nothing (LLVM's "call-inline-cost", LLVM 14 and later): SQLite's
// speedtest1 takes 1.24x plain CPU instead of 1.30x (median ratio of 15
// interleaved runs), Lua 1.38x instead of 1.48x (the fastest of 9).  But
// each inlined copy carries its expanded hooks: speedtest1's .text grows
// from 1.96x plain to 3.47x, Redis's from 2.04x to 2.57x, and fmtlib
// compiles in 2.19x plain instead of 1.68x.  So it is a choice, off by
// default.  Priced as the instructions they become (15 an entry, 5 an
// exit or an edge), the hooks cost both: speedtest1 1.33x, .text 3.01x.
static const char *const InlineCostAttr = "call-inline-cost";
static cl::opt<bool> ClInlineAsPlain(
    "codensm-inline-as-plain",
    cl::desc("Tell the inliner the hook calls cost nothing, so functions "
             "are inlined where the plain build inlines them: less CPU, "
             "more code and compile time"),
    cl::init(false));

/// Never throws and always returns; touches only the counters, which no
/// instruction of the unit reads or writes before the expansion: so the
/// optimiser keeps the calls but moves and folds the program's own loads
/// and stores across them, as it would without instrumentation.
static FunctionCallee declareHook(Module &M, const char *Name) {
  FunctionCallee Hook =
      declareRuntimeFunction(M, Name, {Attribute::WillReturn});
  if (auto *F = dyn_cast<Function>(Hook.getCallee())) {
    if (ClHookMemory)
      F->setOnlyAccessesInaccessibleMemory();
    if (ClInlineAsPlain)
      F->addFnAttr(InlineCostAttr, "0");
  }
  return Hook;
}

static CallInst *createHook(IRBuilder<> &B, FunctionCallee Hook,
                            ArrayRef<Value *> Args) {
  CallInst *Call = B.CreateCall(Hook, Args);
  Call->setDoesNotThrow();
  Call->addFnAttr(Attribute::NoMerge);
  return Call;
}

CallInst *createEnterHook(IRBuilder<> &B, Function *Unit, unsigned Slot) {
  Module &M = *B.GetInsertBlock()->getModule();
  LLVMContext &Ctx = M.getContext();
  Type *I64 = Type::getInt64Ty(Ctx);
  CallInst *Call =
      createHook(B, declareHook(M, EnterHookName),
                 {ConstantExpr::getPointerCast(Unit, dataPtrTy(Ctx)),
                  ConstantInt::get(I64, Slot)});
  Call->setName("codensm.start");
  return Call;
}

static const char *const HomeKind = "codensm.home";
static const char *const OwnBodyOnlyKind = "codensm.timed_in_own_body";

void markHome(CallInst *Enter, Function &F) {
  Enter->setMetadata(HomeKind,
                     MDNode::get(F.getContext(), ValueAsMetadata::get(&F)));
}

Function *homeOf(const CallInst &Enter) {
  const MDNode *Home = Enter.getMetadata(HomeKind);
  if (!Home || Home->getNumOperands() != 1)
    return nullptr;
  // A deleted function's operand is null.
  return mdconst::dyn_extract_or_null<Function>(Home->getOperand(0));
}

void markTimedInOwnBodyOnly(CallInst *Enter) {
  Enter->setMetadata(OwnBodyOnlyKind, MDNode::get(Enter->getContext(), {}));
}

bool isUntimedInlinedCopy(const CallInst *Enter) {
  return Enter->getMetadata(OwnBodyOnlyKind) &&
         homeOf(*Enter) != Enter->getFunction();
}

void priceAsInlinedCopy(CallInst *Hook) {
  Hook->addFnAttr(Attribute::get(Hook->getContext(), InlineCostAttr, "0"));
}

static cl::opt<bool> ClEdgesInlineFree(
    "codensm-edges-inline-free",
    cl::desc("Tell the inliner an edge hook costs nothing (it becomes one "
             "add)"),
    cl::init(false), cl::Hidden);

CallInst *createEdgeHook(IRBuilder<> &B, Function *Unit, unsigned Slot) {
  Module &M = *B.GetInsertBlock()->getModule();
  LLVMContext &Ctx = M.getContext();
  CallInst *Edge =
      createHook(B, declareHook(M, EdgeHookName),
                 {ConstantExpr::getPointerCast(Unit, dataPtrTy(Ctx)),
                  ConstantInt::get(Type::getInt64Ty(Ctx), Slot)});
  if (ClEdgesInlineFree)
    priceAsInlinedCopy(Edge);
  return Edge;
}

CallInst *createDepthHook(IRBuilder<> &B, Function *Unit, unsigned Slot,
                          int Delta) {
  Module &M = *B.GetInsertBlock()->getModule();
  LLVMContext &Ctx = M.getContext();
  Type *I64 = Type::getInt64Ty(Ctx);
  return createHook(B, declareHook(M, DepthHookName),
                    {ConstantExpr::getPointerCast(Unit, dataPtrTy(Ctx)),
                     ConstantInt::get(I64, Slot),
                     ConstantInt::getSigned(I64, Delta)});
}

CallInst *createErrorMarkHook(IRBuilder<> &B) {
  Module &M = *B.GetInsertBlock()->getModule();
  CallInst *Call = createHook(B, declareHook(M, ErrorMarkHookName), {});
  Call->setName("codensm.mark");
  return Call;
}

CallInst *createExitHook(IRBuilder<> &B, Function *Unit, unsigned Slot,
                         Value *Start, Value *IsError, Value *Mark) {
  Module &M = *B.GetInsertBlock()->getModule();
  LLVMContext &Ctx = M.getContext();
  Type *I64 = Type::getInt64Ty(Ctx);
  return createHook(B, declareHook(M, ExitHookName),
                    {ConstantExpr::getPointerCast(Unit, dataPtrTy(Ctx)),
                     ConstantInt::get(I64, Slot), Start, IsError, Mark});
}

bool markInstrumented(Module &M) {
  if (M.getNamedMetadata(InstrumentedMetadata))
    return false;
  M.getOrInsertNamedMetadata(InstrumentedMetadata);
  return true;
}

void recordTables(Module &M, const ModuleTables &Tables) {
  LLVMContext &Ctx = M.getContext();
  Type *I32 = Type::getInt32Ty(Ctx);
  SmallVector<Metadata *, 5> Fields = {
      ValueAsMetadata::get(Tables.Unit), ValueAsMetadata::get(Tables.TlsHome),
      ConstantAsMetadata::get(
          ConstantInt::get(I32, static_cast<unsigned>(Tables.Timing))),
      ConstantAsMetadata::get(ConstantInt::get(I32, Tables.FunctionCount))};
  if (Tables.Edges)
    Fields.push_back(ValueAsMetadata::get(Tables.Edges));
  M.getOrInsertNamedMetadata(InstrumentedMetadata)
      ->addOperand(MDNode::get(Ctx, Fields));
}

std::vector<ModuleTables> findTables(const Module &M) {
  std::vector<ModuleTables> Found;
  const NamedMDNode *Named = M.getNamedMetadata(InstrumentedMetadata);
  if (!Named)
    return Found;
  for (const MDNode *Node : Named->operands()) {
    if (Node->getNumOperands() < 4)
      continue;
    ModuleTables Tables;
    Tables.Unit = mdconst::dyn_extract_or_null<Function>(Node->getOperand(0));
    Tables.TlsHome =
        mdconst::dyn_extract_or_null<GlobalVariable>(Node->getOperand(1));
    auto *Timing =
        mdconst::dyn_extract_or_null<ConstantInt>(Node->getOperand(2));
    if (!Tables.Unit || !Tables.TlsHome || !Timing)
      continue; // an optimiser dropped the tables: nothing left to expand
    Tables.Timing = static_cast<TimingMode>(Timing->getZExtValue());
    if (auto *Count =
            mdconst::dyn_extract_or_null<ConstantInt>(Node->getOperand(3)))
      Tables.FunctionCount = Count->getZExtValue();
    if (Node->getNumOperands() > 4)
      Tables.Edges =
          mdconst::dyn_extract_or_null<GlobalVariable>(Node->getOperand(4));
    Found.push_back(Tables);
  }
  return Found;
}

} // namespace codensm
