// SPDX-License-Identifier: Apache-2.0
//===- CodeNSM.cpp - count calls, errors and time of every function ------===//
//
// The recipe, per translation unit:
//   1. find the configuration and decide whether the file is instrumented;
//   2. choose the functions (those -finstrument-functions would instrument,
//      minus compiler-generated ones and CODENSM_SKIP, plus CODENSM_TRACK);
//   3. make the tables: a thread_local block of counter slots, one slot per
//      function, and a constant descriptor naming each slot;
//   4. place the hooks: at entry a call that counts the call and starts the
//      clock on sampled calls; at every exit (ret, and unwinding through
//      EscapeEnumerator as ThreadSanitizer does) count errors and a call
//      that stops the clock.  The two calls become inline code after the
//      optimiser (ExpandHooks.cpp), so the optimiser carries little;
//   5. register the table from a module constructor, unregister it from a
//      destructor.
// The layouts and the hot path are specified in include/codensm_abi.inc
// and include/codensm_abi.h.
//
//===----------------------------------------------------------------------===//
#include "CodeNSM.h"
#include "Annotations.h"
#include "Compat.h"
#include "Config.h"
#include "Edges.h"
#include "HotPath.h"
#include "Markers.h"
#include "Naming.h"
#include "SourceFacts.h"
#include "StructorAliases.h"
#include "Trivial.h"

#include "llvm/ADT/SCCIterator.h"
#include "llvm/ADT/Statistic.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Analysis/CallGraph.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/DebugInfoMetadata.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Passes/PassPlugin.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Debug.h"
#include "llvm/Support/Path.h"
#include "llvm/Transforms/Utils/EscapeEnumerator.h"
#include "llvm/Transforms/Utils/ModuleUtils.h"

#include <memory>
#include <optional>
#include <vector>

using namespace llvm;
using namespace codensm;

#define DEBUG_TYPE "codensm"

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

static cl::opt<int> ClTrivial(
    "codensm-trivial-instructions",
    cl::desc("Leave out leaf, loop-free functions of at most this many "
             "instructions (announced as not instrumented; 0 instruments "
             "every function; default: .codensm.yaml's "
             "trivial_instructions, else 0)"),
    cl::init(-1));

static cl::opt<int> ClUntimed(
    "codensm-untimed-instructions",
    cl::desc("Count but do not time leaf, loop-free functions of at most "
             "this many instructions (0 times every function; default: "
             ".codensm.yaml's untimed_instructions, else 32)"),
    cl::init(-1));

static cl::opt<int> ClUntimedInlined(
    "codensm-untimed-inlined-instructions",
    cl::desc("Time loop-free functions of at most this many instructions "
             "in their own body only: their inlined copies are counted, not "
             "timed (0 times inlined copies too; default: .codensm.yaml's "
             "untimed_inlined_instructions, else 64)"),
    cl::init(-1));

/// The TLS model of each unit's home (its directory and chunk 0 pointers).
/// An executable's relaxes to local-exec by itself; a shared library's
/// stays dynamic, a __tls_get_addr call per instrumented function entered
/// (0.6 ns a call more than initial-exec, docs/performance.md).
/// initial-exec takes 16 bytes of static TLS per unit, which a library
/// linked at start always gets and a dlopen'ed one only from glibc's small
/// reserve.
static cl::opt<GlobalValue::ThreadLocalMode> ClTlsModel(
    "codensm-tls-model",
    cl::desc("TLS model of the per-unit home (directory and chunk 0)"),
    cl::values(clEnumValN(GlobalValue::GeneralDynamicTLSModel, "dynamic",
                          "the compiler's choice for the output (default)"),
               clEnumValN(GlobalValue::InitialExecTLSModel, "initial-exec",
                          "for shared libraries linked at start, not "
                          "dlopen'ed")),
    cl::init(GlobalValue::GeneralDynamicTLSModel));

static cl::opt<bool> ClCallers(
    "codensm-callers",
    cl::desc("Count each call site's caller->callee edge, so every function "
             "knows its instrumented callers with exact calls (default on)"),
    cl::init(true));

static cl::opt<unsigned> ClCallersMaxCallees(
    "codensm-callers-max-callees",
    cl::desc("A function calling more different functions than this (a "
             "dispatcher) counts no caller->callee edges: each 32 of them "
             "take every thread that runs it a chunk of counters (1.3 KB)"),
    cl::init(128));

static cl::opt<bool> ClEdgesFromCallees(
    "codensm-edges-from-callees",
    cl::desc("Count no call site of one edge into each internal function "
             "that only counting call sites call: its calls are the "
             "callee's less its other edges' (default on; off is for "
             "measuring what it saves)"),
    cl::init(true), cl::Hidden);

static cl::opt<bool> ClEdgesFromCallers(
    "codensm-edges-from-callers",
    cl::desc("Count nothing at a call site that runs once each time its "
             "caller runs (a function's first call): its calls are the "
             "caller's (default on; off is for measuring what it saves)"),
    cl::init(true), cl::Hidden);

static cl::opt<bool> ClRecursion(
    "codensm-recursion",
    cl::desc("Keep the depth of functions in a call-graph cycle, so only "
             "their outermost frames add time (default on; off is for "
             "measuring what it costs)"),
    cl::init(true), cl::Hidden);

static cl::opt<bool> ClUnwindExits(
    "codensm-unwind-exits",
    cl::desc("Count a call that leaves by an exception as an error, through "
             "a cleanup landing pad (default on; off is for measuring what "
             "the pads cost)"),
    cl::init(true), cl::Hidden);

STATISTIC(NumFunctionsInstrumented, "Functions instrumented");
STATISTIC(NumDispatchers, "Dispatchers whose callees were not counted");
STATISTIC(NumEdges, "Caller->callee edges counted");
STATISTIC(NumRecursive, "Recursive functions (depth kept)");
STATISTIC(NumEdgeSites, "Call sites counting an edge");
STATISTIC(NumEdgesFromCallee, "Edges derived from their callee's calls");
STATISTIC(NumUncountedSites, "Call sites of an edge derived from its callee");
STATISTIC(NumOncePerCallSites, "Call sites run once a call of their caller");
STATISTIC(NumTrivialLeftOut, "Trivial functions left out (announced)");
STATISTIC(NumTrivialUntimed, "Trivial functions counted but not timed");
STATISTIC(NumUntimedInlined,
          "Small functions timed in their own body only, not where inlined");
STATISTIC(NumExitsInstrumented, "Exits instrumented");
STATISTIC(NumUnwindExits, "Exits by unwinding instrumented");
STATISTIC(NumStandardLibrarySkipped, "Standard library functions left out");
STATISTIC(NumSystemHeaderSkipped, "Functions of system headers left out");
STATISTIC(NumStructorAliases,
          "Constructor and destructor aliases made functions again");
STATISTIC(NumDelegatingVariants,
          "Constructor and destructor variants left out: they call their "
          "sibling, which counts the call");

static constexpr unsigned FlagOdr = abi::Flag_ODR,
                          FlagUntimed = abi::Flag_UNTIMED,
                          FlagNotInstrumented = abi::Flag_NOT_INSTRUMENTED,
                          FlagRecursive = abi::Flag_RECURSIVE;

/// The default of -codensm-trivial-instructions (docs/performance.md
/// measures what each value costs and leaves out).
static constexpr unsigned DefaultTrivialInstructions = 0;
/// The default of -codensm-untimed-inlined-instructions: SQLite's
/// speedtest1 ran 592 M instructions under callgrind with every inlined
/// copy timed, 550 M at 64 (549 M with no limit but loops), plain 359
/// M; its .text went from 1.96x plain to 1.62x (docs/performance.md).
static constexpr unsigned DefaultUntimedInlinedInstructions = 64;

namespace {

/// What we decided about one function before touching its IR.
struct FunctionPlan {
  Function *F;
  std::string Name;
  std::string Department;
  unsigned Weight = 1;
  ErrorConvention Errors = ErrorsNone;
  unsigned Flags = 0;
  /// Timed in its own body only; counted, not timed, where inlined.
  bool UntimedInlined = false;
  std::string File;
  unsigned Line = 0;
};

/// One exit of an instrumented function.
struct ExitPoint {
  Instruction *Before; ///< hooks go right before this instruction
  Value *ReturnValue;  ///< checked against the error convention, or null
  bool Unwinding;      ///< leaving by exception: always an error
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
  std::string headerDefining(const Function &F, const SourceFunction *Source);
  unsigned trivialThreshold() const;
  unsigned untimedThreshold() const;
  unsigned untimedInlinedThreshold() const;
  bool shouldInstrument(Function &F) const;
  EdgeTable findCallerEdges(const std::vector<FunctionPlan> &Plans);
  void markRecursive(std::vector<FunctionPlan> &Plans);
  void createTables(const std::vector<FunctionPlan> &Plans,
                    const EdgeTable &Edges);
  Constant *createFunctionInfos(const std::vector<FunctionPlan> &Plans);
  Constant *createEdgeInfos(const EdgeTable &Edges);
  void createThreadStorage(unsigned SlotCount);
  void insertEdgeHooks(const std::vector<FunctionPlan> &Plans,
                       const EdgeTable &Edges);
  void instrumentFunction(const FunctionPlan &Plan, unsigned Index);
  Value *insertEntryHook(IRBuilder<> &B, unsigned Index, bool Timed);
  void insertExitHook(const ExitPoint &Exit, unsigned Index,
                      ErrorConvention Errors, Value *StartTicks,
                      Value *ErrorMark, bool Recursive);
  std::vector<ExitPoint> collectExits(Function &F);
  Value *errorCondition(IRBuilder<> &B, Value *V, ErrorConvention Errors,
                        bool Unsigned);
  void createModuleCtorDtor();

  Constant *stringConstant(StringRef S);
  void setDebugLocation(IRBuilder<> &B, Function &F);

  Module &M;
  LLVMContext &Ctx;
  Config Cfg;
  std::string SourcePath; ///< the unit's source file, absolute
  std::string RelPath;    ///< source file relative to the root, "" if outside
  bool FileIncluded = true;

  // Types and runtime declarations, created once in initialize().
  IntegerType *I32 = nullptr, *I64 = nullptr;
  PointerType *Ptr = nullptr;
  FunctionCallee RegisterFn, UnregisterFn;

  GlobalVariable *TlsHome = nullptr;    ///< this thread's directory and chunk 0
  GlobalVariable *EmptyDir = nullptr;   ///< the home's initial directory
  GlobalVariable *EdgesArray = nullptr; ///< the unit's edge_info, if any
  GlobalVariable *Desc = nullptr;
  Function *Unit = nullptr; ///< returns Desc: how the hooks name the unit
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
  SourcePath = absolutePath(M.getSourceFileName());
  std::string File = ClConfig.empty()
                         ? findConfigFile(sys::path::parent_path(SourcePath))
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
  RelPath = relativeTo(SourcePath, Cfg.Root);
  if (RelPath.empty())
    RelPath = sys::path::filename(SourcePath).str();
  FileIncluded = Cfg.instruments(RelPath, SourcePath);
  LLVM_DEBUG(
      dbgs() << "codensm: " << RelPath << " root " << Cfg.Root
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
  static const char *const Prefixes[] = {"_GLOBAL__",
                                         "__cxx_global_var_init",
                                         "__cxx_global_array_dtor",
                                         "__dtor_",
                                         "__clang_call_terminate",
                                         "_ZTh",
                                         "_ZTv",
                                         "_ZTc",
                                         "_ZTW",
                                         "_ZTH",
                                         "__tls_init",
                                         "__cfi_",
                                         "__omp_offloading",
                                         ".",
                                         "__codensm",
                                         "__asan",
                                         "__tsan",
                                         "__msan",
                                         "__ubsan",
                                         "__sanitizer",
                                         "__llvm",
                                         "__profc_",
                                         "__profd_"};
  for (const char *Prefix : Prefixes)
    if (startsWith(Name, Prefix))
      return true;
  return false;
}

/// Code declared in the standard library's own namespaces (Naming.h) is
/// not the team's code: counting every std::vector::size would cost much and
/// say nothing.  Decided by the scope the function is declared in, whatever
/// its template arguments and its linkage: std::count_if with a lambda, or a
/// std::map keyed by an anonymous-namespace type, has internal linkage and
/// is the library's all the same.
static bool isStandardLibrary(const Function &F) {
  return isStandardLibraryName(F.getName());
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

/// -codensm-trivial-instructions, else the configuration's, else the
/// default.
unsigned ModuleInstrumenter::trivialThreshold() const {
  if (ClTrivial >= 0)
    return static_cast<unsigned>(ClTrivial);
  return Cfg.TrivialInstructions.value_or(DefaultTrivialInstructions);
}

/// -codensm-untimed-instructions, else the configuration's, else the
/// default.
unsigned ModuleInstrumenter::untimedThreshold() const {
  if (ClUntimed >= 0)
    return static_cast<unsigned>(ClUntimed);
  return Cfg.UntimedInstructions.value_or(DefaultUntimedInstructions);
}

/// -codensm-untimed-inlined-instructions, else the configuration's, else
/// the default.
unsigned ModuleInstrumenter::untimedInlinedThreshold() const {
  if (ClUntimedInlined >= 0)
    return static_cast<unsigned>(ClUntimedInlined);
  return Cfg.UntimedInlinedInstructions.value_or(
      DefaultUntimedInlinedInstructions);
}

/// The header that defines F, relative to the root: from the debug info,
/// else from the front end (SourceFacts.h); "" for the unit's own file, a
/// header outside the root, or when neither knows.
std::string ModuleInstrumenter::headerDefining(const Function &F,
                                               const SourceFunction *Source) {
  std::string Header = definingHeader(F, Cfg.Root);
  if (!Header.empty() || !Source || F.getSubprogram() ||
      Source->File == SourcePath)
    return Header;
  return relativeTo(Source->File, Cfg.Root);
}

std::vector<FunctionPlan>
ModuleInstrumenter::chooseFunctions(const AnnotationMap &Notes) {
  std::string Module = moduleNameFor(RelPath);
  std::string FileDepartment =
      ClDepartment.empty()
          ? Cfg.departmentFor(RelPath).value_or(defaultDepartmentFor(RelPath))
          : std::string(ClDepartment);
  std::vector<FunctionPlan> Plans;
  for (Function &F : M) {
    if (!shouldInstrument(F))
      continue;
    if (delegatesToOtherVariant(F)) { // one count a delete (StructorAliases.h)
      ++NumDelegatingVariants;
      continue;
    }
    auto Note = Notes.find(&F);
    const FunctionAnnotations *A =
        Note == Notes.end() ? nullptr : &Note->second;
    if (A && A->Skip)
      continue;
    if (!FileIncluded && !(A && A->Track))
      continue;

    if (isStandardLibrary(F) && !(A && A->Track)) {
      ++NumStandardLibrarySkipped;
      LLVM_DEBUG(dbgs() << "codensm: standard library " << F.getName() << "\n");
      continue;
    }
    const SourceFunction *Source = sourceFunction(F.getName());
    if (Source && Source->SystemHeader && !(A && A->Track)) {
      ++NumSystemHeaderSkipped;
      LLVM_DEBUG(dbgs() << "codensm: system header " << F.getName() << "\n");
      continue;
    }

    FunctionPlan Plan;
    Plan.F = &F;
    std::string Qualified = qualifiedFunctionName(F.getName());
    std::string Department = FileDepartment;
    if (F.hasLinkOnceLinkage() || F.hasWeakODRLinkage()) {
      Plan.Name = Qualified;
      Plan.Flags |= FlagOdr;
    } else if (std::string Header = headerDefining(F, Source);
               !Header.empty() && nameableByHeader(Qualified)) {
      // One row for a static helper of a header, however many TUs have it.
      Plan.Name = moduleNameFor(Header) + "." + Qualified;
      if (ClDepartment.empty())
        Department =
            Cfg.departmentFor(Header).value_or(defaultDepartmentFor(Header));
    } else {
      Plan.Name = Module + "." + Qualified;
    }
    Plan.Name = bounded(Plan.Name, MaxNameBytes);
    Plan.Department = bounded(A && A->Department ? *A->Department : Department,
                              MaxDepartmentBytes);
    Plan.Weight =
        A && A->Weight ? *A->Weight : Cfg.weightFor(Plan.Name).value_or(1);
    Plan.Errors = A && A->Errors
                      ? *A->Errors
                      : Cfg.errorsFor(Plan.Name).value_or(ErrorsNone);
    if (F.callsFunctionThatReturnsTwice())
      Plan.Flags |= FlagUntimed; // setjmp may clobber the start time
    // A function the team said something about (an annotation, an error
    // convention, a weight) is one it cares about: never left out.
    bool Described = A || Plan.Errors != ErrorsNone || Plan.Weight != 1;
    if (!Described && isTrivial(F, trivialThreshold())) {
      Plan.Flags |= FlagNotInstrumented; // listed, announced, no probe
      ++NumTrivialLeftOut;
    } else if (!Described && isTrivial(F, untimedThreshold())) {
      Plan.Flags |= FlagUntimed; // counted exactly, never timed
      ++NumTrivialUntimed;
    } else if (!Described && isStraightAndSmall(F, untimedInlinedThreshold())) {
      Plan.UntimedInlined = true;
    }
    if (DISubprogram *SP = F.getSubprogram()) {
      // As written on the command line: one header reached through
      // `-I src/kj/..` and through `src/kj` is one file (capnproto).
      SmallString<256> File(SP->getFilename());
      sys::path::remove_dots(File, /*remove_dot_dot=*/true);
      Plan.File = std::string(File);
      Plan.Line = SP->getLine();
    } else if (Source) {
      std::string Relative = relativeTo(Source->File, Cfg.Root);
      Plan.File = Relative.empty() ? Source->File : Relative;
      Plan.Line = Source->Line;
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
  RegisterFn = declareRuntimeFunction(M, "__codensm_register");
  UnregisterFn = declareRuntimeFunction(M, "__codensm_unregister");
}

Constant *ModuleInstrumenter::stringConstant(StringRef S) {
  auto It = Strings.find(S);
  if (It != Strings.end())
    return It->second;
  Constant *Data = ConstantDataArray::getString(Ctx, S);
  auto *GV =
      new GlobalVariable(M, Data->getType(), /*isConstant=*/true,
                         GlobalValue::PrivateLinkage, Data, "__codensm_str");
  GV->setUnnamedAddr(GlobalValue::UnnamedAddr::Global);
  GV->setAlignment(Align(1));
  Constant *P = ConstantExpr::getPointerCast(GV, Ptr);
  Strings[S] = P;
  return P;
}

/// The function infos, one per slot, in a constant array.
Constant *ModuleInstrumenter::createFunctionInfos(
    const std::vector<FunctionPlan> &Plans) {
  std::vector<Constant *> Infos;
  for (const FunctionPlan &P : Plans)
    Infos.push_back(abi::structValue(
        Ctx, "function_info",
        {{"name", stringConstant(P.Name)},
         {"department", stringConstant(P.Department)},
         {"file", stringConstant(P.File)},
         {"line", ConstantInt::get(I32, P.Line)},
         {"weight", ConstantInt::get(I32, P.Weight)},
         {"error_convention", ConstantInt::get(I32, P.Errors)},
         {"flags", ConstantInt::get(I32, P.Flags)},
         {"symbol_hash",
          ConstantInt::get(
              I64, P.F->hasLocalLinkage() ? 0 : symbolHash(P.F->getName()))}}));
  ArrayType *InfoArrayTy =
      ArrayType::get(abi::structType(Ctx, "function_info"), Plans.size());
  auto *InfoArray = new GlobalVariable(
      M, InfoArrayTy, true, GlobalValue::InternalLinkage,
      ConstantArray::get(InfoArrayTy, Infos), "__codensm_functions");
  return ConstantExpr::getPointerCast(InfoArray, Ptr);
}

/// The unit's edges, in slot order after its functions; null when none.
Constant *ModuleInstrumenter::createEdgeInfos(const EdgeTable &Edges) {
  if (Edges.Edges.empty())
    return ConstantPointerNull::get(Ptr);
  std::vector<Constant *> Infos;
  for (const EdgeTable::Edge &E : Edges.Edges)
    Infos.push_back(abi::structValue(
        Ctx, "edge_info",
        {{"caller", ConstantInt::get(I32, E.Caller)},
         {"callee", ConstantInt::get(I32, E.Callee)},
         {"callee_symbol", ConstantInt::get(I64, E.CalleeSymbol)},
         {"flags",
          ConstantInt::get(I32, E.FromCallee ? abi::EDGE_FROM_CALLEE : 0)},
         {"per_call", ConstantInt::get(I32, E.PerCall)}}));
  ArrayType *Ty =
      ArrayType::get(abi::structType(Ctx, "edge_info"), Infos.size());
  EdgesArray =
      new GlobalVariable(M, Ty, true, GlobalValue::InternalLinkage,
                         ConstantArray::get(Ty, Infos), "__codensm_edges");
  return ConstantExpr::getPointerCast(EdgesArray, Ptr);
}

/// The per-thread storage: one thread_local home (codensm_abi.inc), its
/// directory initially a constant directory of the unit's size whose
/// chunk pointers all lead to the runtime's sentinel chunk, and its chunk
/// 0 that sentinel, so the hot path needs no test for a thread that has
/// not called into the unit yet.  Static TLS grows by 16 bytes per unit,
/// whatever its number of functions; the runtime allocates a thread's
/// directory and chunks on first use.
void ModuleInstrumenter::createThreadStorage(unsigned N) {
  unsigned Header = abi::structType(Ctx, "dir")->getNumElements();
  unsigned Chunks = (N + abi::CHUNK_SLOTS - 1) / abi::CHUNK_SLOTS;
  ArrayType *EmptyTy = ArrayType::get(Ptr, Header + Chunks);
  Constant *Sentinel = ConstantExpr::getPointerCast(
      M.getOrInsertGlobal("__codensm_sentinel", Type::getInt8Ty(Ctx)), Ptr);
  std::vector<Constant *> Words(Header, ConstantPointerNull::get(Ptr));
  Words.resize(Header + Chunks, Sentinel);
  EmptyDir = new GlobalVariable(
      M, EmptyTy, /*isConstant=*/true, GlobalValue::InternalLinkage,
      ConstantArray::get(EmptyTy, Words), "__codensm_empty_dir");
  EmptyDir->setAlignment(Align(8));
  Constant *Home =
      abi::structValue(Ctx, "home",
                       {{"dir", ConstantExpr::getPointerCast(EmptyDir, Ptr)},
                        {"chunk0", Sentinel}});
  TlsHome = new GlobalVariable(M, Home->getType(), false,
                               GlobalValue::InternalLinkage, Home,
                               "__codensm_home", nullptr, ClTlsModel);
  TlsHome->setAlignment(Align(8));
}

void ModuleInstrumenter::createTables(const std::vector<FunctionPlan> &Plans,
                                      const EdgeTable &Edges) {
  unsigned N = Plans.size();
  Constant *Infos = createFunctionInfos(Plans);
  createThreadStorage(N + Edges.Edges.size());
  auto *State = new GlobalVariable(M, Ptr, false, GlobalValue::InternalLinkage,
                                   Constant::getNullValue(Ptr),
                                   "__codensm_runtime_state");

  // The runtime reaches (and sets) this thread's home through this
  // accessor.
  Function *DirRef =
      Function::Create(FunctionType::get(Ptr, {Ptr}, false),
                       GlobalValue::InternalLinkage, "__codensm_dir_ref", M);
  DirRef->addFnAttr(Attribute::NoUnwind);
  IRBuilder<> B(BasicBlock::Create(Ctx, "", DirRef));
  B.CreateRet(ConstantExpr::getPointerCast(TlsHome, Ptr));

  Constant *Value = abi::structValue(
      Ctx, "module_desc",
      {{"abi_version", ConstantInt::get(I32, abi::ABI_VERSION)},
       {"function_count", ConstantInt::get(I32, N)},
       {"module_name", stringConstant(moduleNameFor(RelPath))},
       {"source_path", stringConstant(M.getSourceFileName())},
       {"functions", Infos},
       {"dir_ref", ConstantExpr::getPointerCast(DirRef, Ptr)},
       {"empty_dir", ConstantExpr::getPointerCast(EmptyDir, Ptr)},
       {"runtime_state", ConstantExpr::getPointerCast(State, Ptr)},
       {"edges", createEdgeInfos(Edges)},
       {"edge_count", ConstantInt::get(I32, Edges.Edges.size())}});
  Desc = new GlobalVariable(M, Value->getType(), true,
                            GlobalValue::InternalLinkage, Value,
                            "__codensm_module");
  Desc->setAlignment(Align(8));

  // The hooks name the unit by this function, not by the descriptor (see
  // include/codensm_abi.inc: the call graph would walk the whole table
  // from every instrumented function).
  Unit = Function::Create(FunctionType::get(Ptr, false),
                          GlobalValue::InternalLinkage, "__codensm_unit", M);
  Unit->addFnAttr(Attribute::NoUnwind);
  IRBuilder<> UB(BasicBlock::Create(Ctx, "", Unit));
  UB.CreateRet(ConstantExpr::getPointerCast(Desc, Ptr));
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

void ModuleInstrumenter::setDebugLocation(IRBuilder<> &B, Function &F) {
  if (DISubprogram *SP = F.getSubprogram())
    B.SetCurrentDebugLocation(DILocation::get(Ctx, 0, 0, SP));
}

/// The entry hook counts the call and, on the calls the runtime samples
/// (always the first one per function and thread), attaches this thread's
/// block if needed and reads the clock.  Returns the start time for the
/// exit hooks, or null when the function is not timed.
Value *ModuleInstrumenter::insertEntryHook(IRBuilder<> &B, unsigned Index,
                                           bool Timed) {
  CallInst *Start = createEnterHook(B, Unit, Index);
  return Timed && ClTiming != TimingMode::Off ? Start : nullptr;
}

/// Unsigned: the front end marked the returned integer zeroext (a small
/// unsigned type such as uint16_t), which can never be negative.
Value *ModuleInstrumenter::errorCondition(IRBuilder<> &B, Value *V,
                                          ErrorConvention Errors,
                                          bool Unsigned) {
  Type *Ty = V->getType();
  if (Ty->isIntegerTy() || Ty->isPointerTy()) {
    // 0 or null: the same comparisons serve both; only integers (wider
    // than bool) have a sign.
    Constant *Zero = Constant::getNullValue(Ty);
    switch (Errors) {
    case ErrorsNegative:
      return Ty->isIntegerTy() && !Ty->isIntegerTy(1) && !Unsigned
                 ? B.CreateICmpSLT(V, Zero)
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
                                        Value *StartTicks, Value *ErrorMark,
                                        bool Recursive) {
  IRBuilder<> B(Exit.Before);
  setDebugLocation(B, *Exit.Before->getFunction());
  Value *IsError = ConstantInt::get(I64, 0);
  if (Exit.Unwinding) {
    IsError = ConstantInt::get(I64, 1);
    ++NumUnwindExits;
  } else if (Exit.ReturnValue && Errors != ErrorsNone) {
    Function &F = *Exit.Before->getFunction();
    bool Unsigned = F.getAttributes().hasRetAttr(Attribute::ZExt);
    if (Value *Condition =
            errorCondition(B, Exit.ReturnValue, Errors, Unsigned))
      IsError = B.CreateZExt(Condition, I64);
  }
  ++NumExitsInstrumented;
  // A recursive function's frame leaves after the stop has read its depth.
  auto LeaveFrame = [&] {
    if (Recursive)
      createDepthHook(B, Unit, Index, -1);
  };
  // An untimed exit that cannot be an error has nothing to do: no call.
  if (!StartTicks && isa<ConstantInt>(IsError) &&
      cast<ConstantInt>(IsError)->isZero())
    return LeaveFrame();
  bool CanFail =
      !isa<ConstantInt>(IsError) || !cast<ConstantInt>(IsError)->isZero();
  createExitHook(B, Unit, Index,
                 StartTicks ? StartTicks : ConstantInt::get(I64, 0), IsError,
                 CanFail ? ErrorMark : ConstantInt::get(I64, 0));
  LeaveFrame();
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
      LP->setCleanup(ClUnwindExits || LP->isCleanup());

  // EscapeEnumerator gives a function without one the target's C
  // personality; in a C++ unit the C++ one is the natural choice.
  if (!F.hasPersonalityFn() && !F.doesNotThrow())
    if (Function *CxxPersonality = M.getFunction("__gxx_personality_v0"))
      F.setPersonalityFn(CxxPersonality);

  std::vector<ExitPoint> Exits;
  EscapeEnumerator Escapes(F, "codensm.cleanup", ClUnwindExits);
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

/// The depth hooks of F, a recursive function timed in its own body only:
/// an inlined copy of it is never timed, so its depth would only make a
/// timed frame of its own body below it count as nested, with no time (the
/// copy's time is its caller's); inlined, they go, and the inliner prices
/// them at that (ExpandHooks.cpp).  A twin of F keeps them.
static void markDepthsOwnBodyOnly(Function &F) {
  for (Instruction &I : instructions(F))
    if (auto *Call = dyn_cast<CallInst>(&I))
      if (Function *Callee = Call->getCalledFunction();
          Callee && Callee->getName() == DepthHookName) {
        markHome(Call, F);
        markTimedInOwnBodyOnly(Call);
        priceAsInlinedCopy(Call);
      }
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
  bool Recursive = Plan.Flags & FlagRecursive;
  Value *StartTicks = insertEntryHook(B, Index, Timed);
  if (StartTicks)
    markHome(cast<CallInst>(StartTicks), F);
  // Timed in its own body only: inlined, the entry becomes one increment
  // and the exits nothing, so the inliner prices them at that and inlines
  // the function where the plain build does (Redis's lookupCommandLogic
  // and getCommandFlags stayed calls in a GET, each with a frame).
  bool OwnBodyOnly =
      StartTicks && Plan.UntimedInlined && ClTiming == TimingMode::Sampled;
  if (OwnBodyOnly) {
    markTimedInOwnBodyOnly(cast<CallInst>(StartTicks));
    priceAsInlinedCopy(cast<CallInst>(StartTicks));
    ++NumUntimedInlined;
  }
  // A function that can fail (an error convention, or an exception that
  // may unwind through it) reads the thread's error epoch for the root
  // cause of its errors; one that turns out to have no failing exit drops
  // the read again.
  CallInst *ErrorMark = nullptr;
  if (Plan.Errors != ErrorsNone || !F.doesNotThrow())
    ErrorMark = createErrorMarkHook(B);
  if (Recursive)
    createDepthHook(B, Unit, Index, +1);

  for (const ExitPoint &Exit : collectExits(F))
    insertExitHook(Exit, Index, Plan.Errors, StartTicks, ErrorMark, Recursive);
  if (OwnBodyOnly) {
    for (User *U : StartTicks->users())
      priceAsInlinedCopy(cast<CallInst>(U)); // the exits
    if (Recursive)
      markDepthsOwnBodyOnly(F);
  }
  if (ErrorMark && ErrorMark->use_empty())
    ErrorMark->eraseFromParent();
  ++NumFunctionsInstrumented;
}

/// Functions that may call themselves, directly or through functions of
/// this unit (a cycle of the call graph), keep their depth per thread, so
/// that only outermost frames are timed (include/codensm_abi.inc,
/// RECURSIVE).  Recursion through other units or through pointers is not
/// seen.
void ModuleInstrumenter::markRecursive(std::vector<FunctionPlan> &Plans) {
  if (!ClRecursion)
    return;
  DenseMap<const Function *, FunctionPlan *> ByFunction;
  for (FunctionPlan &P : Plans)
    if (!(P.Flags & FlagNotInstrumented))
      ByFunction[P.F] = &P;
  CallGraph Graph(M);
  for (auto SCC = scc_begin(&Graph); !SCC.isAtEnd(); ++SCC) {
    if (!SCC.hasCycle())
      continue;
    for (CallGraphNode *Node : *SCC)
      if (auto It = ByFunction.find(Node->getFunction());
          It != ByFunction.end()) {
        It->second->Flags |= FlagRecursive;
        ++NumRecursive;
      }
  }
}

/// The caller->callee edges the unit's call sites count (Edges.h).
EdgeTable
ModuleInstrumenter::findCallerEdges(const std::vector<FunctionPlan> &Plans) {
  if (!ClCallers)
    return {};
  DenseMap<const Function *, unsigned> Slots;
  std::vector<bool> Counted(Plans.size());
  for (unsigned Slot = 0; Slot < Plans.size(); ++Slot) {
    Slots[Plans[Slot].F] = Slot;
    Counted[Slot] = !(Plans[Slot].Flags & FlagNotInstrumented);
  }
  EdgeTable Edges = findEdges(M, Slots, Counted, ClCallersMaxCallees,
                              ClEdgesFromCallees, ClEdgesFromCallers);
  NumDispatchers += Edges.Dispatchers;
  NumEdges += Edges.Edges.size();
  NumEdgeSites += Edges.Sites.size();
  NumEdgesFromCallee += Edges.FromCallee;
  NumUncountedSites += Edges.UncountedSites;
  NumOncePerCallSites += Edges.OncePerCallSites;
  return Edges;
}

/// Each counted call site adds one to its edge's slot, right before the
/// call (a call that then throws was still made).
void ModuleInstrumenter::insertEdgeHooks(const std::vector<FunctionPlan> &Plans,
                                         const EdgeTable &Edges) {
  for (auto [Call, Edge] : Edges.Sites) {
    IRBuilder<> B(Call);
    B.SetCurrentDebugLocation(Call->getDebugLoc());
    createEdgeHook(B, Unit, Plans.size() + Edge);
  }
}

//===----------------------------------------------------------------------===//
// The module
//===----------------------------------------------------------------------===//

/// Adds to Notes the annotations clang's code generation leaves out of the
/// IR, a constructor's and a destructor's, which the front end recorded
/// (SourceFacts.h): CODENSM_WEIGHT(7) on one gave weight 1.
static Error addStructorAnnotations(Module &M, AnnotationMap &Notes) {
  for (Function &F : M) {
    const SourceFunction *Source =
        F.isDeclaration() ? nullptr : sourceFunction(F.getName());
    if (!Source)
      continue;
    for (const std::string &Text : Source->Annotations)
      if (!applyAnnotation(StringRef(Text).drop_front(strlen("codensm:")),
                           Notes[&F]))
        return badAnnotation(Source->File, Source->Line, Text, F.getName());
  }
  return Error::success();
}

bool ModuleInstrumenter::run() {
  // Running twice must change nothing.
  if (M.getNamedMetadata("codensm.instrumented"))
    return false;
  if (!targetSupported(Triple(M.getTargetTriple())))
    return false;
  if (!loadConfiguration())
    return false;

  // Before annotations are read and functions chosen: a destructor clang
  // made an alias of its base's is a function again (StructorAliases.h).
  if (FileIncluded)
    NumStructorAliases += replaceStructorAliases(M);

  Expected<AnnotationMap> Notes = collectAnnotations(M);
  if (Notes)
    if (Error E = addStructorAnnotations(M, *Notes))
      Notes = std::move(E);
  if (!Notes) {
    Ctx.emitError("codensm: " + toString(Notes.takeError()));
    return false;
  }
  markInstrumented(M);

  std::vector<FunctionPlan> Plans = chooseFunctions(*Notes);
  if (Plans.empty())
    return true;

  initialize();
  markRecursive(Plans);
  EdgeTable Edges = findCallerEdges(Plans);
  createTables(Plans, Edges);
  recordTables(M, {Unit, TlsHome, ClTiming, EdgesArray,
                   static_cast<unsigned>(Plans.size())});
  // Before the exits: their enumeration turns calls into invokes.
  insertEdgeHooks(Plans, Edges);
  for (unsigned Index = 0; Index < Plans.size(); ++Index)
    if (!(Plans[Index].Flags & FlagNotInstrumented))
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
  // OptimizerLast: after inlining and every IR optimisation, so the passes
  // carry two calls per function instead of the inline hot path; also at
  // -O0 and in the compile step of thin and full LTO.
  PB.registerOptimizerLastEPCallback(
      [](ModulePassManager &MPM, OptimizationLevel Level) {
        MPM.addPass(ExpandHooksPass(Level == OptimizationLevel::O0));
      });
  PB.registerPipelineParsingCallback(
      [](StringRef Name, ModulePassManager &MPM,
         ArrayRef<PassBuilder::PipelineElement>) {
        if (Name == "codensm" || Name == "codensm-instrument")
          MPM.addPass(CodeNSMPass());
        if (Name == "codensm" || Name == "codensm-expand")
          MPM.addPass(ExpandHooksPass());
        return Name == "codensm" || Name == "codensm-instrument" ||
               Name == "codensm-expand";
      });
}

extern "C" LLVM_ATTRIBUTE_WEAK PassPluginLibraryInfo llvmGetPassPluginInfo() {
  return {LLVM_PLUGIN_API_VERSION, "CodeNSM", LLVM_VERSION_STRING,
          registerCallbacks};
}
