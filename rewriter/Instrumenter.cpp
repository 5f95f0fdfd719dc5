// SPDX-License-Identifier: Apache-2.0
//===- Instrumenter.cpp - rewrite one file's functions with probes -------===//
#include "Instrumenter.h"
#include "Callers.h"
#include "Emitted.h"
#include "Headers.h"
#include "ProbeText.h"
#include "Recursion.h"
#include "Selection.h"
#include "Unwind.h"

#include "clang/AST/ASTConsumer.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/Frontend/CompilerInstance.h"
#include "clang/Lex/Lexer.h"
#include "clang/Lex/Preprocessor.h"
#include "clang/Rewrite/Core/Rewriter.h"
#include "llvm/Support/raw_ostream.h"

#include <set>

using namespace clang;

namespace codensm {
namespace rewrite {

namespace {

/// A function calling more different functions than this counts no
/// edges, as the pass's -codensm-callers-max-callees default.
constexpr unsigned MaxCallees = 64;

/// Every function with a body, lambdas included, in the order they are
/// written; template patterns, not their instances.
struct FunctionCollector : RecursiveASTVisitor<FunctionCollector> {
  std::vector<const FunctionDecl *> Functions;
  std::set<const FunctionDecl *> Seen;

  void add(const FunctionDecl *FD) {
    if (FD && Seen.insert(FD).second)
      Functions.push_back(FD);
  }
  bool VisitFunctionDecl(FunctionDecl *FD) {
    add(FD);
    return true;
  }
  bool VisitLambdaExpr(LambdaExpr *L) {
    add(L->getCallOperator());
    return true;
  }
};

/// The return statements of one function, not those of the lambdas,
/// blocks and captured regions written inside it.
static void collectReturns(const Stmt *S,
                           std::vector<const ReturnStmt *> &Returns) {
  if (!S || isa<LambdaExpr>(S) || isa<BlockExpr>(S) || isa<CapturedStmt>(S))
    return;
  if (const auto *Return = dyn_cast<ReturnStmt>(S))
    Returns.push_back(Return);
  for (const Stmt *Child : S->children())
    collectReturns(Child, Returns);
}

class InstrumentConsumer : public ASTConsumer {
public:
  InstrumentConsumer(CompilerInstance &CI, std::string File,
                     const RewriteOptions &Options, std::string &Output)
      : CI(CI), File(std::move(File)), Options(Options), Output(Output) {}

  void HandleTranslationUnit(ASTContext &Ctx) override;

private:
  void placeProbe(const FunctionPlan &Plan, unsigned Slot, Rewriter &R);
  void checkReturns(const FunctionPlan &Plan, unsigned Slot, Rewriter &R);

  CompilerInstance &CI;
  std::string File;
  const RewriteOptions &Options;
  std::string &Output;
};

} // namespace

void InstrumentConsumer::placeProbe(const FunctionPlan &Plan, unsigned Slot,
                                    Rewriter &R) {
  bool Cxx = CI.getLangOpts().CPlusPlus;
  bool Calm = Cxx && !Plan.MayUnwind && Plan.ReturnType.empty();
  std::string Probe = Plan.CountOnly
                          ? countProbe(Cxx, Slot, Plan.PatternTag)
                          : entryProbe(Cxx, Slot, Plan.Timed, Plan.Recursive,
                                       Calm, Plan.ReturnType, Plan.PatternTag);
  if (Plan.Defaulted.isValid()) {
    // `= default` becomes `{ probe }`, each token in its own place, so the
    // lines after it keep their numbers.
    const SourceManager &SM = R.getSourceMgr();
    SourceLocation Equal = Plan.Defaulted.getBegin();
    SourceLocation Default = Plan.Defaulted.getEnd();
    R.ReplaceText(Equal, 1, "{" + Probe);
    R.ReplaceText(Default,
                  Lexer::MeasureTokenLength(Default, SM, R.getLangOpts()), "}");
    return;
  }
  const auto *Body = cast<CompoundStmt>(Plan.FD->getBody());
  R.InsertTextAfterToken(Body->getLBracLoc(), Probe);
}

/// Wraps each return's value in the error convention's test.  A value
/// written by a macro that cannot be mapped back to the file's text is
/// returned unchecked (the call still counts).
void InstrumentConsumer::checkReturns(const FunctionPlan &Plan, unsigned Slot,
                                      Rewriter &R) {
  if (Plan.Check.empty())
    return;
  std::vector<const ReturnStmt *> Returns;
  collectReturns(Plan.FD->getBody(), Returns);
  const SourceManager &SM = R.getSourceMgr();
  ReturnWrap Wrap = returnCheck(Slot, Plan.Check);
  for (const ReturnStmt *Return : Returns) {
    const Expr *Value = Return->getRetValue();
    if (!Value)
      continue;
    CharSourceRange Range = Lexer::makeFileCharRange(
        CharSourceRange::getTokenRange(Value->getSourceRange()), SM,
        CI.getLangOpts());
    if (Range.isInvalid() ||
        SM.getFileID(Range.getBegin()) !=
            SM.getFileID(Plan.FD->getBody()->getBeginLoc()))
      continue;
    R.InsertTextBefore(Range.getBegin(), Wrap.Before);
    R.InsertTextAfter(Range.getEnd(), Wrap.After);
  }
}

void InstrumentConsumer::HandleTranslationUnit(ASTContext &Ctx) {
  if (CI.getDiagnostics().hasErrorOccurred())
    return;
  const SourceManager &SM = Ctx.getSourceManager();
  llvm::StringRef Original = SM.getBufferData(SM.getMainFileID());

  llvm::Expected<Selection> Chosen =
      Selection::forFile(File, Options.ConfigFile, Options.Department);
  if (!Chosen) {
    llvm::errs() << "codensm-rewrite: " << toString(Chosen.takeError()) << "\n";
    return;
  }
  if (Options.OneRowPerTemplate)
    Chosen->giveTemplatesOneRow();
  ProjectHeaders Headers(SM, CI.getPreprocessor().getHeaderSearchInfo(),
                         [&](llvm::StringRef Path) {
                           return !Options.HeaderDir.empty() &&
                                  Chosen->ownsHeader(Path);
                         });
  auto Rewritable = [&](SourceLocation Loc) { return Headers.rewritable(Loc); };
  FunctionCollector Collector;
  Collector.TraverseDecl(Ctx.getTranslationUnitDecl());
  Headers.refuseReenteredDefinitions(Collector.Functions);
  std::unique_ptr<MangleContext> Mangler(Ctx.createMangleContext());
  std::vector<FunctionPlan> Plans;
  llvm::DenseSet<const FunctionDecl *> Recursive = recursiveFunctions(Ctx);
  llvm::DenseSet<const FunctionDecl *> NeverEmitted = neverEmittedHelpers(Ctx);
  InstancesByPattern Instances = instancesByPattern(Ctx);
  UnwindAnalysis Unwind(Ctx);
  for (const FunctionDecl *FD : Collector.Functions) {
    auto Plan =
        Chosen->plan(FD, Ctx, *Mangler, Rewritable, NeverEmitted, Instances);
    if (!Plan) {
      llvm::errs() << "codensm-rewrite: " << toString(Plan.takeError()) << "\n";
      return;
    }
    if (!*Plan)
      continue;
    // A template's text is its instances': calm only if each of them is.
    std::vector<const FunctionDecl *> Code{FD};
    if (FD->isDependentContext())
      Code = Instances.lookup(FD->getCanonicalDecl());
    (*Plan)->MayUnwind =
        Code.empty() || llvm::any_of(Code, [&](const FunctionDecl *C) {
          return Unwind.mayUnwind(C);
        });
    if (Recursive.count(FD->getCanonicalDecl())) {
      (*Plan)->Recursive = true;
      (*Plan)->Row.Flags |= abi::Flag_RECURSIVE;
      for (FunctionRow &Row : (*Plan)->MoreRows)
        Row.Flags |= abi::Flag_RECURSIVE;
    }
    Plans.push_back(std::move(**Plan));
  }
  Rewriter R(CI.getSourceManager(), CI.getLangOpts());
  if (Plans.empty()) {
    if (llvm::Error E = Headers.write(R, Options.HeaderDir)) {
      llvm::errs() << "codensm-rewrite: " << toString(std::move(E)) << "\n";
      return;
    }
    Output = Original.str();
    return;
  }

  bool Cxx = CI.getLangOpts().CPlusPlus;
  // Each plan's first slot names its probe; a template's further
  // instances take the slots after it, found by their overloads.
  std::vector<FunctionRow> Rows;
  std::string Overloads;
  // The functions whose call sites count their edges (a template's body
  // is its instances' text: not those), and every one with a slot of its
  // own as a callee.
  std::vector<std::pair<const FunctionDecl *, unsigned>> Callers;
  llvm::DenseMap<const FunctionDecl *, unsigned> Slots;
  for (const FunctionPlan &Plan : Plans) {
    unsigned Slot = Rows.size();
    placeProbe(Plan, Slot, R);
    checkReturns(Plan, Slot, R);
    Rows.push_back(Plan.Row);
    Rows.insert(Rows.end(), Plan.MoreRows.begin(), Plan.MoreRows.end());
    for (unsigned I = 0; I < Plan.InstanceTags.size(); ++I)
      Overloads += instanceSlot(Slot, Plan.InstanceTags[I], Slot + I);
    if (!Plan.FD->isDependentContext()) {
      Callers.push_back({Plan.FD, Slot});
      Slots[Plan.FD->getCanonicalDecl()] = Slot;
    }
  }
  // After the returns' wraps: a call that is a return's value goes inside
  // the wrap (edgeCount's text is added after the wrap's opening and
  // before its closing, at the same places).
  CallerEdges Edges =
      findCallerEdges(Ctx, *Mangler, Callers, Slots, MaxCallees);
  for (auto [Range, Edge] : Edges.Sites) {
    ReturnWrap Count =
        edgeCount(Cxx, static_cast<unsigned>(Rows.size()) + Edge);
    R.InsertTextAfter(Range.getBegin(), Count.Before);
    R.InsertTextBefore(Range.getEnd(), Count.After);
  }
  SourceLocation Start = SM.getLocForStartOfFile(SM.getMainFileID());
  R.InsertTextBefore(Start, prologue(Cxx, CI.getLangOpts().CPlusPlus11, File));
  R.InsertTextAfter(SM.getLocForEndOfFile(SM.getMainFileID()),
                    epilogue(Cxx, Chosen->moduleName(), File, Rows, Edges.Edges,
                             Options.InitialExecTls) +
                        Overloads);
  if (llvm::Error E = Headers.write(R, Options.HeaderDir)) {
    llvm::errs() << "codensm-rewrite: " << toString(std::move(E)) << "\n";
    return;
  }
  const RewriteBuffer *Buffer = R.getRewriteBufferFor(SM.getMainFileID());
  Output =
      Buffer ? std::string(Buffer->begin(), Buffer->end()) : Original.str();
}

std::unique_ptr<ASTConsumer>
InstrumentAction::CreateASTConsumer(CompilerInstance &CI,
                                    llvm::StringRef File) {
  std::string Source =
      Options.SourcePath.empty() ? File.str() : Options.SourcePath;
  return std::make_unique<InstrumentConsumer>(CI, Source, Options, Output);
}

} // namespace rewrite
} // namespace codensm
