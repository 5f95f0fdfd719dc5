//===- CodeNSM.cpp - count calls, errors and time of every function ------===//
//
// The recipe, per translation unit:
//   1. find the configuration and decide whether the file is instrumented;
//   2. choose the functions (those -finstrument-functions would instrument,
//      minus compiler-generated ones and CODENSM_SKIP, plus CODENSM_TRACK);
//   3. make the tables: a thread_local block of counter slots, one slot per
//      function, and a constant descriptor naming each slot;
//   4. place the hooks: at entry count the call and, on sampled calls, read
//      the clock; at every exit (ret, and unwinding through
//      EscapeEnumerator as ThreadSanitizer does) count errors and time;
//   5. register the table from a module constructor, unregister it from a
//      destructor.
// The layouts and the hot path are specified in runtime/codensm_abi.h.
//
//===----------------------------------------------------------------------===//
#include "CodeNSM.h"
#include "Annotations.h"
#include "Compat.h"
#include "Config.h"
#include "Naming.h"

#include "llvm/ADT/Statistic.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/DebugInfoMetadata.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/InlineAsm.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicsX86.h"
#include "llvm/IR/MDBuilder.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Passes/PassPlugin.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Debug.h"
#include "llvm/Support/Path.h"
#include "llvm/Transforms/Utils/BasicBlockUtils.h"
#include "llvm/Transforms/Utils/EscapeEnumerator.h"
#include "llvm/Transforms/Utils/ModuleUtils.h"

#include <optional>
#include <vector>

using namespace llvm;
using namespace codensm;

#define DEBUG_TYPE "codensm"

enum class TimingMode { Sampled, Every, Off };

static cl::opt<std::string>
    ClConfig("codensm-config",
             cl::desc("Use this .codensm.yaml instead of searching for one"),
             cl::value_desc("path"), cl::init(""));
static cl::opt<std::string>
    ClDepartment("codensm-department",
                 cl::desc("Department of every function in this compilation "
                          "(annotations still win)"),
                 cl::init(""));
static cl::opt<TimingMode> ClTiming(
    "codensm-timing", cl::desc("How calls are timed"),
    cl::values(clEnumValN(TimingMode::Sampled, "sampled",
                          "time the calls the runtime samples (default)"),
               clEnumValN(TimingMode::Every, "every", "time every call"),
               clEnumValN(TimingMode::Off, "off", "count only")),
    cl::init(TimingMode::Sampled));

STATISTIC(NumFunctionsInstrumented, "Functions instrumented");
STATISTIC(NumExitsInstrumented, "Exits instrumented");
STATISTIC(NumUnwindExits, "Exits by unwinding instrumented");

// Must match runtime/codensm_abi.h.
static constexpr unsigned AbiVersion = 1;
static constexpr unsigned FlagOdr = 0x1, FlagUntimed = 0x2;
enum SlotField { SlotCalls = 0, SlotErrors = 1, SlotSamples = 2, SlotTicks = 3 };
enum BlockField { BlockAttached = 0, BlockSlots = 4 };

namespace {

/// What we decided about one function before touching its IR.
struct FunctionPlan {
  Function *F;
  std::string Name;
  std::string Department;
  unsigned Weight = 1;
  ErrorConvention Errors = ErrorsNone;
  unsigned Flags = 0;
  std::string File;
  unsigned Line = 0;
};

/// One exit of an instrumented function.
struct ExitPoint {
  Instruction *Before;   ///< hooks go right before this instruction
  Value *ReturnValue;    ///< checked against the error convention, or null
  bool Unwinding;        ///< leaving by exception: always an error
};

class ModuleInstrumenter {
public:
  explicit ModuleInstrumenter(Module &M) : M(M), Ctx(M.getContext()) {}

  /// Returns true when the module was changed.
  bool run();

private:
  bool loadConfiguration();
  void initialize();
  std::vector<FunctionPlan> chooseFunctions(const AnnotationMap &Notes);
  bool shouldInstrument(Function &F) const;
  void createTables(const std::vector<FunctionPlan> &Plans);
  void instrumentFunction(const FunctionPlan &Plan, unsigned Index);
  void createSampleHelpers();
  Value *emitAttachAndStart(IRBuilder<> &B, bool Timed);
  void emitStop(IRBuilder<> &B, Value *Index, Value *Start);
  Value *insertEntryHook(IRBuilder<> &B, unsigned Index, bool Timed);
  void insertExitHook(const ExitPoint &Exit, unsigned Index,
                      ErrorConvention Errors, Value *StartTicks);
  std::vector<ExitPoint> collectExits(Function &F);
  Value *errorCondition(IRBuilder<> &B, Value *V, ErrorConvention Errors);
  void createModuleCtorDtor();

  Constant *slotField(unsigned Index, SlotField Field);
  Value *slotField(IRBuilder<> &B, Value *Index, SlotField Field);
  void emitIncrement(IRBuilder<> &B, Value *Counter, Value *Amount);
  Value *emitCountCall(IRBuilder<> &B, Value *Calls);
  Value *emitReadClock(IRBuilder<> &B);
  Constant *stringConstant(StringRef S);
  void setDebugLocation(IRBuilder<> &B, Function &F);

  Module &M;
  LLVMContext &Ctx;
  Config Cfg;
  std::string RelPath;  ///< source file relative to the root, "" if outside
  bool FileIncluded = true;

  // Types and runtime declarations, created once in initialize().
  IntegerType *I32 = nullptr, *I64 = nullptr;
  PointerType *Ptr = nullptr;
  ArrayType *SlotTy = nullptr;
  StructType *BlockTy = nullptr, *FunctionInfoTy = nullptr, *DescTy = nullptr;
  FunctionCallee RegisterFn, UnregisterFn, AttachFn, ClockFn;
  GlobalVariable *SampleMask = nullptr;
  bool IsX86_64 = false;

  GlobalVariable *TlsBlock = nullptr;
  GlobalVariable *Desc = nullptr;
  Function *SampleStartFn = nullptr, *SampleStopFn = nullptr;
  StringMap<Constant *> Strings;
};

} // namespace

//===----------------------------------------------------------------------===//
// Configuration
//===----------------------------------------------------------------------===//

/// Targets without thread-local storage or a hosted runtime (GPUs, wasm,
/// BPF) are left alone: the plugin must accept any input clang accepts.
static bool targetSupported(const Triple &T) {
  switch (T.getArch()) {
  case Triple::nvptx:
  case Triple::nvptx64:
  case Triple::amdgcn:
  case Triple::r600:
  case Triple::spir:
  case Triple::spir64:
  case Triple::wasm32:
  case Triple::wasm64:
  case Triple::bpfel:
  case Triple::bpfeb:
    return false;
  default:
    return true;
  }
}

bool ModuleInstrumenter::loadConfiguration() {
  std::string Source = absolutePath(M.getSourceFileName());
  std::string File = ClConfig.empty()
                         ? findConfigFile(sys::path::parent_path(Source))
                         : std::string(ClConfig);
  if (!File.empty()) {
    Expected<Config> Loaded = loadConfig(File);
    if (!Loaded) {
      Ctx.emitError("codensm: " + toString(Loaded.takeError()));
      return false;
    }
    Cfg = std::move(*Loaded);
  } else {
    // No configuration: paths are relative to where the compiler runs.
    Cfg.Root = absolutePath(".");
  }
  RelPath = relativeTo(Source, Cfg.Root);
  if (RelPath.empty())
    RelPath = sys::path::filename(Source).str();
  FileIncluded = Cfg.instruments(RelPath);
  LLVM_DEBUG(dbgs() << "codensm: " << RelPath << " root " << Cfg.Root
                    << (Cfg.File.empty() ? " (no config)" : " config " + Cfg.File)
                    << (FileIncluded ? " included\n" : " not included\n"));
  return true;
}

//===----------------------------------------------------------------------===//
// Choosing functions
//===----------------------------------------------------------------------===//

/// Code the compiler made rather than the user wrote: -finstrument-functions
/// leaves these alone too.
static bool isCompilerGenerated(StringRef Name) {
  static const char *const Prefixes[] = {
      "_GLOBAL__",      "__cxx_global_var_init", "__cxx_global_array_dtor",
      "__dtor_",        "__clang_call_terminate", "_ZTh", "_ZTv", "_ZTc",
      "_ZTW",           "_ZTH", "__tls_init", "__cfi_", "__omp_offloading",
      ".",              "__codensm", "__asan", "__tsan", "__msan", "__ubsan",
      "__sanitizer",    "__llvm", "__profc_", "__profd_"};
  for (const char *Prefix : Prefixes)
    if (startsWith(Name, Prefix))
      return true;
  return false;
}

/// Names in the C++ standard library's own namespaces.  The namespace may
/// follow a return type: a local class of a function template demangles as
/// "void std::basic_string<...>::_M_construct<...>(...)::_Guard::_Guard".
/// Only the part before the first parameter list counts, so a user's
/// f(std::string)::Local::g is not taken for the library's.
static bool isStandardLibrary(StringRef Qualified) {
  StringRef Scope = Qualified.substr(0, Qualified.find('('));
  for (StringRef Namespace : {"std::", "__gnu_cxx::", "__cxxabiv1::"}) {
    size_t At = Scope.find(Namespace);
    if (At != StringRef::npos && (At == 0 || Scope[At - 1] == ' '))
      return true;
  }
  return false;
}

bool ModuleInstrumenter::shouldInstrument(Function &F) const {
  if (F.isDeclaration() || F.hasAvailableExternallyLinkage())
    return false;
  if (F.hasFnAttribute(Attribute::Naked) || F.hasFnAttribute("thunk"))
    return false;
  if (isCompilerGenerated(F.getName()) || isPresplitCoroutine(F))
    return false;
  // Windows-style funclets have no EscapeEnumerator support.
  if (F.hasPersonalityFn() &&
      isScopedEHPersonality(classifyEHPersonality(F.getPersonalityFn())))
    return false;
  return true;
}

std::vector<FunctionPlan>
ModuleInstrumenter::chooseFunctions(const AnnotationMap &Notes) {
  std::string Module = moduleNameFor(RelPath);
  std::string FileDepartment = ClDepartment.empty()
                                   ? Cfg.departmentFor(RelPath).value_or(
                                         defaultDepartmentFor(RelPath))
                                   : std::string(ClDepartment);
  std::vector<FunctionPlan> Plans;
  for (Function &F : M) {
    if (!shouldInstrument(F))
      continue;
    auto Note = Notes.find(&F);
    const FunctionAnnotations *A = Note == Notes.end() ? nullptr : &Note->second;
    if (A && A->Skip)
      continue;
    if (!FileIncluded && !(A && A->Track))
      continue;

    FunctionPlan Plan;
    Plan.F = &F;
    std::string Qualified = qualifiedFunctionName(F.getName());
    if (F.hasLinkOnceLinkage() || F.hasWeakODRLinkage()) {
      // The standard library's inline code is not the team's code: counting
      // every std::vector::size would cost much and say nothing.
      if (isStandardLibrary(Qualified) && !(A && A->Track))
        continue;
      Plan.Name = Qualified;
      Plan.Flags |= FlagOdr;
    } else {
      Plan.Name = Module + "." + Qualified;
    }
    Plan.Name = bounded(Plan.Name, MaxNameBytes);
    Plan.Department = bounded(
        A && A->Department ? *A->Department : FileDepartment, MaxDepartmentBytes);
    Plan.Weight = A && A->Weight ? *A->Weight
                                 : Cfg.weightFor(Plan.Name).value_or(1);
    Plan.Errors = A && A->Errors ? *A->Errors
                                 : Cfg.errorsFor(Plan.Name).value_or(ErrorsNone);
    if (F.callsFunctionThatReturnsTwice())
      Plan.Flags |= FlagUntimed; // setjmp may clobber the start time
    if (DISubprogram *SP = F.getSubprogram()) {
      Plan.File = SP->getFilename().str();
      Plan.Line = SP->getLine();
    } else {
      Plan.File = RelPath;
    }
    LLVM_DEBUG(dbgs() << "codensm: slot " << Plans.size() << " " << Plan.Name
                      << " dept=" << Plan.Department << " weight="
                      << Plan.Weight << " errors=" << Plan.Errors << "\n");
    Plans.push_back(std::move(Plan));
  }
  return Plans;
}

//===----------------------------------------------------------------------===//
// Tables
//===----------------------------------------------------------------------===//

void ModuleInstrumenter::initialize() {
  I32 = Type::getInt32Ty(Ctx);
  I64 = Type::getInt64Ty(Ctx);
  Ptr = dataPtrTy(Ctx);
  SlotTy = ArrayType::get(I64, 4);
  FunctionInfoTy = StructType::get(Ctx, {Ptr, Ptr, Ptr, I32, I32, I32, I32});
  DescTy = StructType::get(Ctx, {I32, I32, Ptr, Ptr, Ptr, Ptr, Ptr});
  IsX86_64 = Triple(M.getTargetTriple()).getArch() == Triple::x86_64;

  // The runtime's entry points never throw: EscapeEnumerator must not turn
  // our own calls into invokes.
  AttributeList NoUnwind = AttributeList().addFnAttribute(Ctx, Attribute::NoUnwind);
  Type *Void = Type::getVoidTy(Ctx);
  RegisterFn = M.getOrInsertFunction("__codensm_register", NoUnwind, Void, Ptr);
  UnregisterFn =
      M.getOrInsertFunction("__codensm_unregister", NoUnwind, Void, Ptr);
  AttachFn = M.getOrInsertFunction("__codensm_attach", NoUnwind, Void, Ptr, Ptr);
  ClockFn = M.getOrInsertFunction("__codensm_clock", NoUnwind, I64);
  SampleMask = cast<GlobalVariable>(
      M.getOrInsertGlobal("__codensm_sample_mask", I64));
}

Constant *ModuleInstrumenter::stringConstant(StringRef S) {
  auto It = Strings.find(S);
  if (It != Strings.end())
    return It->second;
  Constant *Data = ConstantDataArray::getString(Ctx, S);
  auto *GV = new GlobalVariable(M, Data->getType(), /*isConstant=*/true,
                                GlobalValue::PrivateLinkage, Data,
                                "__codensm_str");
  GV->setUnnamedAddr(GlobalValue::UnnamedAddr::Global);
  GV->setAlignment(Align(1));
  Constant *P = ConstantExpr::getPointerCast(GV, Ptr);
  Strings[S] = P;
  return P;
}

void ModuleInstrumenter::createTables(const std::vector<FunctionPlan> &Plans) {
  unsigned N = Plans.size();
  BlockTy = StructType::get(Ctx, {I64, Ptr, Ptr, Ptr, ArrayType::get(SlotTy, N)});
  TlsBlock = new GlobalVariable(M, BlockTy, false, GlobalValue::InternalLinkage,
                                Constant::getNullValue(BlockTy),
                                "__codensm_tls", nullptr,
                                GlobalValue::GeneralDynamicTLSModel);
  TlsBlock->setAlignment(Align(64));

  std::vector<Constant *> Infos;
  for (const FunctionPlan &P : Plans)
    Infos.push_back(ConstantStruct::get(
        FunctionInfoTy,
        {stringConstant(P.Name), stringConstant(P.Department),
         stringConstant(P.File), ConstantInt::get(I32, P.Line),
         ConstantInt::get(I32, P.Weight), ConstantInt::get(I32, P.Errors),
         ConstantInt::get(I32, P.Flags)}));
  ArrayType *InfoArrayTy = ArrayType::get(FunctionInfoTy, N);
  auto *InfoArray = new GlobalVariable(
      M, InfoArrayTy, true, GlobalValue::InternalLinkage,
      ConstantArray::get(InfoArrayTy, Infos), "__codensm_functions");

  auto *State = new GlobalVariable(M, Ptr, false, GlobalValue::InternalLinkage,
                                   Constant::getNullValue(Ptr),
                                   "__codensm_runtime_state");

  // The runtime reaches a thread's block through this accessor.
  Function *Accessor =
      Function::Create(FunctionType::get(Ptr, false), GlobalValue::InternalLinkage,
                       "__codensm_tls_block", M);
  Accessor->addFnAttr(Attribute::NoUnwind);
  IRBuilder<> B(BasicBlock::Create(Ctx, "", Accessor));
  B.CreateRet(ConstantExpr::getPointerCast(TlsBlock, Ptr));

  Constant *Fields[] = {
      ConstantInt::get(I32, AbiVersion),
      ConstantInt::get(I32, N),
      stringConstant(moduleNameFor(RelPath)),
      stringConstant(M.getSourceFileName()),
      ConstantExpr::getPointerCast(InfoArray, Ptr),
      ConstantExpr::getPointerCast(Accessor, Ptr),
      ConstantExpr::getPointerCast(State, Ptr)};
  Desc = new GlobalVariable(M, DescTy, true, GlobalValue::InternalLinkage,
                            ConstantStruct::get(DescTy, Fields),
                            "__codensm_module");
  Desc->setAlignment(Align(8));
}

Constant *ModuleInstrumenter::slotField(unsigned Index, SlotField Field) {
  Constant *Indices[] = {ConstantInt::get(I32, 0),
                         ConstantInt::get(I32, BlockSlots),
                         ConstantInt::get(I64, Index),
                         ConstantInt::get(I64, Field)};
  return ConstantExpr::getInBoundsGetElementPtr(BlockTy, TlsBlock, Indices);
}

Value *ModuleInstrumenter::slotField(IRBuilder<> &B, Value *Index,
                                     SlotField Field) {
  Value *Indices[] = {ConstantInt::get(I32, 0), ConstantInt::get(I32, BlockSlots),
                      Index, ConstantInt::get(I64, Field)};
  return B.CreateInBoundsGEP(BlockTy, TlsBlock, Indices);
}

void ModuleInstrumenter::createModuleCtorDtor() {
  Type *Void = Type::getVoidTy(Ctx);
  auto MakeHook = [&](StringRef Name, FunctionCallee Runtime) {
    Function *F = Function::Create(FunctionType::get(Void, false),
                                   GlobalValue::InternalLinkage, Name, M);
    F->addFnAttr(Attribute::NoUnwind);
    IRBuilder<> B(BasicBlock::Create(Ctx, "", F));
    B.CreateCall(Runtime, {ConstantExpr::getPointerCast(Desc, Ptr)});
    B.CreateRetVoid();
    return F;
  };
  appendToGlobalCtors(M, MakeHook("codensm.module_ctor", RegisterFn), 65535);
  appendToGlobalDtors(M, MakeHook("codensm.module_dtor", UnregisterFn), 65535);
}

//===----------------------------------------------------------------------===//
// Hooks
//===----------------------------------------------------------------------===//

/// Adds Amount to a counter only this thread writes.  On x86-64 one
/// non-locked `add` to memory: no lock prefix (other threads only read), and
/// a signal handler on this thread cannot split it and lose a count.
void ModuleInstrumenter::emitIncrement(IRBuilder<> &B, Value *Counter,
                                       Value *Amount) {
  if (!IsX86_64) {
    B.CreateAtomicRMW(AtomicRMWInst::Add, Counter, Amount, MaybeAlign(8),
                      AtomicOrdering::Monotonic);
    return;
  }
  PointerType *PtrI64 = ptrTo(I64);
  CallInst *Call;
  auto *Const = dyn_cast<ConstantInt>(Amount);
  if (Const && Const->isOne()) {
    InlineAsm *Inc = InlineAsm::get(
        FunctionType::get(B.getVoidTy(), {PtrI64, PtrI64}, false), "incq $0",
        "=*m,*m,~{dirflag},~{fpsr},~{flags}", /*hasSideEffects=*/true);
    Call = B.CreateCall(Inc, {Counter, Counter});
    Call->addParamAttr(1, Attribute::get(Ctx, Attribute::ElementType, I64));
  } else {
    InlineAsm *Add = InlineAsm::get(
        FunctionType::get(B.getVoidTy(), {PtrI64, I64, PtrI64}, false),
        "addq $1, $0", "=*m,er,*m,~{dirflag},~{fpsr},~{flags}", true);
    Call = B.CreateCall(Add, {Counter, Amount, Counter});
    Call->addParamAttr(2, Attribute::get(Ctx, Attribute::ElementType, I64));
  }
  Call->addParamAttr(0, Attribute::get(Ctx, Attribute::ElementType, I64));
  Call->setDoesNotThrow();
}

/// Adds one call and returns the count before it.  On x86-64 a single
/// non-locked `xadd`, as cheap as an add and as safe against a signal
/// handler on the same thread; elsewhere an atomic fetch-add.
Value *ModuleInstrumenter::emitCountCall(IRBuilder<> &B, Value *Calls) {
  if (!IsX86_64)
    return B.CreateAtomicRMW(AtomicRMWInst::Add, Calls, ConstantInt::get(I64, 1),
                             MaybeAlign(8), AtomicOrdering::Monotonic);
  PointerType *PtrI64 = ptrTo(I64);
  InlineAsm *Xadd = InlineAsm::get(
      FunctionType::get(I64, {PtrI64, I64, PtrI64}, false), "xaddq $0, $1",
      "=r,=*m,0,*m,~{dirflag},~{fpsr},~{flags}", /*hasSideEffects=*/true);
  CallInst *Call = B.CreateCall(Xadd, {Calls, ConstantInt::get(I64, 1), Calls},
                                "codensm.calls");
  Call->addParamAttr(0, Attribute::get(Ctx, Attribute::ElementType, I64));
  Call->addParamAttr(2, Attribute::get(Ctx, Attribute::ElementType, I64));
  Call->setDoesNotThrow();
  return Call;
}

/// rdtsc inline on x86-64, where the runtime calibrates it; a runtime call
/// elsewhere (llvm.readcyclecounter is not portable enough).
Value *ModuleInstrumenter::emitReadClock(IRBuilder<> &B) {
  CallInst *Read =
      IsX86_64 ? B.CreateCall(getIntrinsic(M, Intrinsic::x86_rdtsc), {})
               : B.CreateCall(ClockFn, {});
  Read->setDoesNotThrow();
  return Read;
}

void ModuleInstrumenter::setDebugLocation(IRBuilder<> &B, Function &F) {
  if (DISubprogram *SP = F.getSubprogram())
    B.SetCurrentDebugLocation(DILocation::get(Ctx, 0, 0, SP));
}

/// Links this thread's block into the runtime the first time the thread
/// calls into the module; then, when Timed, reads the clock.
Value *ModuleInstrumenter::emitAttachAndStart(IRBuilder<> &B, bool Timed) {
  Value *Attached = B.CreateAlignedLoad(
      I64, ConstantExpr::getInBoundsGetElementPtr(
               BlockTy, TlsBlock,
               ArrayRef<Constant *>{ConstantInt::get(I32, 0),
                                    ConstantInt::get(I32, BlockAttached)}),
      Align(8));
  Instruction *Here = &*B.GetInsertPoint();
  Instruction *AttachTerm = SplitBlockAndInsertIfThen(
      B.CreateICmpEQ(Attached, ConstantInt::get(I64, 0)), Here, false,
      MDBuilder(Ctx).createBranchWeights(1, 1000));
  AttachTerm->getParent()->setName("codensm.attach");
  IRBuilder<> AB(AttachTerm);
  AB.SetCurrentDebugLocation(B.getCurrentDebugLocation());
  AB.CreateCall(AttachFn, {ConstantExpr::getPointerCast(Desc, Ptr),
                           ConstantExpr::getPointerCast(TlsBlock, Ptr)})
      ->setDoesNotThrow();
  B.SetInsertPoint(Here); // the split moved it into a new block
  return Timed ? emitReadClock(B) : nullptr;
}

/// Stops the clock of a timed call: one more sample, its ticks added.
void ModuleInstrumenter::emitStop(IRBuilder<> &B, Value *Index, Value *Start) {
  Value *End = emitReadClock(B);
  // A thread that moved to a CPU whose counter lags must not add 2^64 ticks.
  Value *Elapsed = B.CreateSelect(B.CreateICmpUGT(End, Start),
                                  B.CreateSub(End, Start),
                                  ConstantInt::get(I64, 0));
  emitIncrement(B, slotField(B, Index, SlotSamples), ConstantInt::get(I64, 1));
  emitIncrement(B, slotField(B, Index, SlotTicks), Elapsed);
}

/// The rare part of the hooks, shared by every function of the module:
/// sample_start attaches the thread and returns the start time (0 when
/// timing is off), sample_stop records a timed call.  Keeping them out of
/// line keeps each function's added IR, and so the compile time, small;
/// they run on one call in 64, where a call costs nothing worth measuring.
void ModuleInstrumenter::createSampleHelpers() {
  auto MakeHelper = [&](StringRef Name, FunctionType *Ty) {
    Function *F =
        Function::Create(Ty, GlobalValue::InternalLinkage, Name, M);
    F->addFnAttr(Attribute::NoUnwind);
    F->addFnAttr(Attribute::NoInline);
    F->addFnAttr(Attribute::Cold);
    return F;
  };
  SampleStartFn = MakeHelper("codensm.sample_start", FunctionType::get(I64, false));
  IRBuilder<> B(BasicBlock::Create(Ctx, "", SampleStartFn));
  Instruction *Ret = B.CreateRet(ConstantInt::get(I64, 0));
  B.SetInsertPoint(Ret);
  if (Value *Start = emitAttachAndStart(B, ClTiming != TimingMode::Off))
    Ret->setOperand(0, Start);

  SampleStopFn = MakeHelper("codensm.sample_stop",
                            FunctionType::get(B.getVoidTy(), {I64, I64}, false));
  IRBuilder<> SB(BasicBlock::Create(Ctx, "", SampleStopFn));
  emitStop(SB, SampleStopFn->getArg(0), SampleStopFn->getArg(1));
  SB.CreateRetVoid();
}

/// Counts the call; on the calls the runtime samples (always the first one
/// per function and thread) attaches this thread's block if needed and
/// reads the clock.  Returns the start time, 0 when the call is not timed.
Value *ModuleInstrumenter::insertEntryHook(IRBuilder<> &B, unsigned Index,
                                           bool Timed) {
  Constant *Calls = slotField(Index, SlotCalls);
  Instruction *Here = &*B.GetInsertPoint();
  BasicBlock *Head = Here->getParent();
  bool Inline = Timed && ClTiming == TimingMode::Every;
  Value *Sampled;
  if (Inline) {
    emitIncrement(B, Calls, ConstantInt::get(I64, 1));
    Sampled = B.getTrue();
  } else {
    Value *Before = emitCountCall(B, Calls);
    LoadInst *Mask = B.CreateAlignedLoad(I64, SampleMask, Align(8));
    Mask->setAtomic(AtomicOrdering::Monotonic);
    Sampled = B.CreateICmpEQ(B.CreateAnd(Before, Mask), ConstantInt::get(I64, 0),
                             "codensm.sampled");
  }
  Instruction *SampleTerm = SplitBlockAndInsertIfThen(
      Sampled, Here, false, MDBuilder(Ctx).createBranchWeights(1, 63));
  SampleTerm->getParent()->setName("codensm.sample");
  IRBuilder<> SB(SampleTerm);
  SB.SetCurrentDebugLocation(B.getCurrentDebugLocation());
  Value *Start;
  if (Inline) {
    Start = emitAttachAndStart(SB, true);
  } else {
    CallInst *Call = SB.CreateCall(SampleStartFn, {});
    Call->setDoesNotThrow();
    Start = Call;
  }

  B.SetInsertPoint(Here);
  if (!Timed || ClTiming == TimingMode::Off)
    return nullptr;
  PHINode *StartTicks = B.CreatePHI(I64, 2, "codensm.start");
  StartTicks->addIncoming(ConstantInt::get(I64, 0), Head);
  StartTicks->addIncoming(Start, SampleTerm->getParent());
  return StartTicks;
}

Value *ModuleInstrumenter::errorCondition(IRBuilder<> &B, Value *V,
                                          ErrorConvention Errors) {
  Type *Ty = V->getType();
  if (Ty->isIntegerTy() || Ty->isPointerTy()) {
    // 0 or null: the same comparisons serve both; only integers (wider
    // than bool) have a sign.
    Constant *Zero = Constant::getNullValue(Ty);
    switch (Errors) {
    case ErrorsNegative:
      return Ty->isIntegerTy() && !Ty->isIntegerTy(1) ? B.CreateICmpSLT(V, Zero)
                                                       : nullptr;
    case ErrorsNonzero:
      return B.CreateICmpNE(V, Zero);
    case ErrorsZero:
    case ErrorsNull:
    case ErrorsFalse:
      return B.CreateICmpEQ(V, Zero);
    default:
      return nullptr;
    }
  }
  if (Ty->isFloatingPointTy()) {
    Value *Zero = ConstantFP::get(Ty, 0.0);
    switch (Errors) {
    case ErrorsNegative:
      return B.CreateFCmpOLT(V, Zero);
    case ErrorsNonzero:
      return B.CreateFCmpUNE(V, Zero);
    case ErrorsZero:
    case ErrorsFalse:
      return B.CreateFCmpOEQ(V, Zero);
    default:
      return nullptr;
    }
  }
  return nullptr; // aggregates and void have no return-value convention
}

void ModuleInstrumenter::insertExitHook(const ExitPoint &Exit, unsigned Index,
                                        ErrorConvention Errors,
                                        Value *StartTicks) {
  IRBuilder<> B(Exit.Before);
  setDebugLocation(B, *Exit.Before->getFunction());
  if (Exit.Unwinding) {
    emitIncrement(B, slotField(Index, SlotErrors), ConstantInt::get(I64, 1));
    ++NumUnwindExits;
  } else if (Exit.ReturnValue && Errors != ErrorsNone) {
    if (Value *IsError = errorCondition(B, Exit.ReturnValue, Errors))
      emitIncrement(B, slotField(Index, SlotErrors), B.CreateZExt(IsError, I64));
  }
  ++NumExitsInstrumented;
  if (!StartTicks)
    return;

  Instruction *StopTerm = SplitBlockAndInsertIfThen(
      B.CreateICmpNE(StartTicks, ConstantInt::get(I64, 0)), Exit.Before, false,
      MDBuilder(Ctx).createBranchWeights(1, 63));
  StopTerm->getParent()->setName("codensm.stop");
  IRBuilder<> SB(StopTerm);
  SB.SetCurrentDebugLocation(B.getCurrentDebugLocation());
  Value *SlotIndex = ConstantInt::get(I64, Index);
  if (ClTiming == TimingMode::Every)
    emitStop(SB, SlotIndex, StartTicks);
  else
    SB.CreateCall(SampleStopFn, {SlotIndex, StartTicks})->setDoesNotThrow();
}

/// Every way out of F: each `ret` (before a musttail call when there is
/// one), each `resume`, and, through EscapeEnumerator, a cleanup landing pad
/// for calls that may throw.  Collected first and instrumented afterwards,
/// because instrumenting splits blocks under the enumerator's feet.
std::vector<ExitPoint> ModuleInstrumenter::collectExits(Function &F) {
  // A landing pad with only catch clauses is skipped by the unwinder when
  // the exception is of another type; as a cleanup it is always entered, so
  // the exception reaches our hook on its way to the `resume`.
  for (BasicBlock &BB : F)
    if (auto *LP = dyn_cast<LandingPadInst>(BB.getFirstNonPHI()))
      LP->setCleanup(true);

  // EscapeEnumerator gives a function without one the target's C
  // personality; in a C++ unit the C++ one is the natural choice.
  if (!F.hasPersonalityFn() && !F.doesNotThrow())
    if (Function *CxxPersonality = M.getFunction("__gxx_personality_v0"))
      F.setPersonalityFn(CxxPersonality);

  std::vector<ExitPoint> Exits;
  EscapeEnumerator Escapes(F, "codensm.cleanup", /*HandleExceptions=*/true);
  while (IRBuilder<> *AtExit = Escapes.Next()) {
    Instruction *I = &*AtExit->GetInsertPoint();
    if (auto *Ret = dyn_cast<ReturnInst>(I))
      Exits.push_back({I, Ret->getReturnValue(), false});
    else if (isa<ResumeInst>(I))
      Exits.push_back({I, nullptr, true});
    else // the musttail call before a ret: its result is not known yet
      Exits.push_back({I, nullptr, false});
  }
  return Exits;
}

void ModuleInstrumenter::instrumentFunction(const FunctionPlan &Plan,
                                            unsigned Index) {
  Function &F = *Plan.F;
  // Hooks go after the static allocas, which must stay in the entry block.
  BasicBlock::iterator At = F.getEntryBlock().getFirstInsertionPt();
  while ((isa<AllocaInst>(*At) && cast<AllocaInst>(*At).isStaticAlloca()) ||
         isa<DbgInfoIntrinsic>(*At))
    ++At;
  IRBuilder<> B(&F.getEntryBlock(), At);
  setDebugLocation(B, F);
  bool Timed = !(Plan.Flags & FlagUntimed);
  Value *StartTicks = insertEntryHook(B, Index, Timed);

  for (const ExitPoint &Exit : collectExits(F))
    insertExitHook(Exit, Index, Plan.Errors, StartTicks);
  ++NumFunctionsInstrumented;
}

//===----------------------------------------------------------------------===//
// The module
//===----------------------------------------------------------------------===//

bool ModuleInstrumenter::run() {
  // Running twice must change nothing.
  if (M.getNamedMetadata("codensm.instrumented"))
    return false;
  if (!targetSupported(Triple(M.getTargetTriple())))
    return false;
  if (!loadConfiguration())
    return false;

  Expected<AnnotationMap> Notes = collectAnnotations(M);
  if (!Notes) {
    Ctx.emitError("codensm: " + toString(Notes.takeError()));
    return false;
  }
  M.getOrInsertNamedMetadata("codensm.instrumented");

  std::vector<FunctionPlan> Plans = chooseFunctions(*Notes);
  if (Plans.empty())
    return true;

  initialize();
  createTables(Plans);
  createSampleHelpers();
  for (unsigned Index = 0; Index < Plans.size(); ++Index)
    instrumentFunction(Plans[Index], Index);
  createModuleCtorDtor();
  return true;
}

PreservedAnalyses CodeNSMPass::run(Module &M, ModuleAnalysisManager &) {
  return ModuleInstrumenter(M).run() ? PreservedAnalyses::none()
                                     : PreservedAnalyses::all();
}

//===----------------------------------------------------------------------===//
// New PM registration
//===----------------------------------------------------------------------===//

static void registerCallbacks(PassBuilder &PB) {
  // PipelineStart: every -O level, the compile step of thin and full LTO
  // (never the LTO backends), and before inlining, so inlined functions are
  // still counted.
  PB.registerPipelineStartEPCallback(
      [](ModulePassManager &MPM, OptimizationLevel) {
        MPM.addPass(CodeNSMPass());
      });
  PB.registerPipelineParsingCallback(
      [](StringRef Name, ModulePassManager &MPM,
         ArrayRef<PassBuilder::PipelineElement>) {
        if (Name != "codensm")
          return false;
        MPM.addPass(CodeNSMPass());
        return true;
      });
}

extern "C" LLVM_ATTRIBUTE_WEAK PassPluginLibraryInfo llvmGetPassPluginInfo() {
  return {LLVM_PLUGIN_API_VERSION, "CodeNSM", LLVM_VERSION_STRING,
          registerCallbacks};
}
