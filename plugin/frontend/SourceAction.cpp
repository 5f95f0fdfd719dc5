// SPDX-License-Identifier: Apache-2.0
//===- SourceAction.cpp - CodeNSMFrontend.so: what only the AST knows ----===//
//
// Loaded by clang with -fplugin=CodeNSMFrontend.so, next to
// -fpass-plugin=CodeNSM.so.  Runs before code generation, walks the
// translation unit once and tells the pass (SourceFacts.h), for every
// function definition clang may emit, the file and line that define it and
// whether that file is a system header, so that:
//   - code of system headers (the standard library, and the third-party
//     libraries a build includes with -isystem, as Google Test) is not the
//     team's and is not instrumented, as codensm-rewrite does;
//   - a header's functions are named by the header without debug info;
//   - every function has its line without debug info.
// It changes nothing in the AST: the IR is the same as without it.
//
//===----------------------------------------------------------------------===//

#include "SourceFacts.h"

#include "clang/AST/ASTConsumer.h"
#include "clang/AST/ASTContext.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/GlobalDecl.h"
#include "clang/AST/Mangle.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/Basic/SourceManager.h"
#include "clang/Frontend/CompilerInstance.h"
#include "clang/Frontend/FrontendPluginRegistry.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>
#include <string>
#include <vector>

using namespace clang;

namespace {

class DefinitionRecorder : public RecursiveASTVisitor<DefinitionRecorder> {
public:
  explicit DefinitionRecorder(ASTContext &Ctx)
      : SM(Ctx.getSourceManager()), Mangler(Ctx.createMangleContext()) {}

  // Instances of templates and the special members clang defines
  // implicitly are code too.
  bool shouldVisitTemplateInstantiations() const { return true; }
  bool shouldVisitImplicitCode() const { return true; }

  bool VisitFunctionDecl(FunctionDecl *FD) {
    if (mayBeEmitted(*FD))
      record(*FD);
    return true;
  }
  bool VisitLambdaExpr(LambdaExpr *Lambda) {
    if (CXXMethodDecl *Call = Lambda->getCallOperator(); mayBeEmitted(*Call))
      record(*Call);
    return true;
  }

private:
  /// A definition code generation may emit: with a body, not a template's
  /// pattern, and, when inline, used (an inline function nobody calls is
  /// never emitted: mangling each of a header's would be wasted work).
  static bool mayBeEmitted(const FunctionDecl &FD) {
    if (!FD.doesThisDeclarationHaveABody() || FD.isDependentContext() ||
        FD.isDeleted())
      return false;
    return !FD.isInlined() || FD.isUsed(false) || FD.isReferenced();
  }

  void record(const FunctionDecl &FD) {
    SourceLocation Loc = SM.getFileLoc(FD.getLocation());
    PresumedLoc Presumed = SM.getPresumedLoc(Loc);
    if (Presumed.isInvalid())
      return;
    SmallString<256> File(Presumed.getFilename());
    llvm::sys::fs::make_absolute(File);
    llvm::sys::path::remove_dots(File, /*remove_dot_dot=*/true);
    unsigned Flags =
        SM.isInSystemHeader(Loc) ? CODENSM_SOURCE_SYSTEM_HEADER : 0;
    // Code generation drops a constructor's or destructor's annotations
    // (SourceFacts.h): they go to the pass from here.
    std::vector<std::string> Annotations;
    if (isa<CXXConstructorDecl>(FD) || isa<CXXDestructorDecl>(FD))
      for (const auto *A : FD.specific_attrs<AnnotateAttr>())
        if (A->getAnnotation().startswith("codensm:"))
          Annotations.push_back(A->getAnnotation().str());
    auto Note = [&](GlobalDecl GD) {
      std::string Name = linkageName(GD);
      if (Name.empty())
        return;
      codensm_note_source_function(Name.c_str(), File.c_str(),
                                   Presumed.getLine(), Flags);
      for (const std::string &Text : Annotations)
        codensm_note_source_annotation(Name.c_str(), Text.c_str());
    };
    // Constructors and destructors are emitted as several functions.
    if (const auto *Ctor = dyn_cast<CXXConstructorDecl>(&FD)) {
      Note(GlobalDecl(Ctor, Ctor_Complete));
      Note(GlobalDecl(Ctor, Ctor_Base));
    } else if (const auto *Dtor = dyn_cast<CXXDestructorDecl>(&FD)) {
      Note(GlobalDecl(Dtor, Dtor_Complete));
      Note(GlobalDecl(Dtor, Dtor_Base));
      Note(GlobalDecl(Dtor, Dtor_Deleting));
    } else {
      Note(GlobalDecl(&FD));
    }
  }

  /// The IR's name of the function: the mangled name, a C function's own
  /// name, or an asm label without its marker.
  std::string linkageName(GlobalDecl GD) {
    const auto *FD = cast<FunctionDecl>(GD.getDecl());
    if (!Mangler->shouldMangleDeclName(FD))
      return FD->getIdentifier() ? FD->getName().str() : std::string();
    std::string Name;
    llvm::raw_string_ostream Out(Name);
    Mangler->mangleName(GD, Out);
    Out.flush();
    if (!Name.empty() && Name[0] == '\01')
      Name.erase(0, 1);
    return Name;
  }

  SourceManager &SM;
  std::unique_ptr<MangleContext> Mangler;
};

class DefinitionConsumer : public ASTConsumer {
public:
  void Initialize(ASTContext &) override { codensm_begin_source_unit(); }

  void HandleTranslationUnit(ASTContext &Ctx) override {
    // A unit with errors produces no code.
    if (Ctx.getDiagnostics().hasErrorOccurred())
      return;
    DefinitionRecorder(Ctx).TraverseDecl(Ctx.getTranslationUnitDecl());
  }
};

class SourceAction : public PluginASTAction {
protected:
  std::unique_ptr<ASTConsumer> CreateASTConsumer(CompilerInstance &,
                                                 StringRef) override {
    return std::make_unique<DefinitionConsumer>();
  }
  bool ParseArgs(const CompilerInstance &,
                 const std::vector<std::string> &) override {
    return true;
  }
  // Before code generation, which then finds the table filled; clang runs
  // such an action with every compile that loads the plugin.
  ActionType getActionType() override { return AddBeforeMainAction; }
};

} // namespace

static FrontendPluginRegistry::Add<SourceAction>
    Registered("codensm-source",
               "CodeNSM: where each function is defined, for the pass");
