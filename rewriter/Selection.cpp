// SPDX-License-Identifier: Apache-2.0
//===- Selection.cpp - which functions of a file get a probe, by what name ===//
#include "Selection.h"
#include "Annotations.h"
#include "ErrorCheck.h"
#include "Instances.h"
#include "Leaf.h"
#include "Naming.h"

#include "clang/AST/Attr.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/DeclTemplate.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/AST/StmtCXX.h"
#include "clang/Basic/Builtins.h"
#include "clang/Basic/SourceManager.h"
#include "clang/Lex/Lexer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

using namespace clang;

namespace codensm {
namespace rewrite {

llvm::Expected<Selection> Selection::forFile(llvm::StringRef SourcePath,
                                             llvm::StringRef ConfigFile,
                                             llvm::StringRef Department) {
  Selection S;
  std::string Source = absolutePath(SourcePath);
  std::string File = ConfigFile.empty()
                         ? findConfigFile(llvm::sys::path::parent_path(Source))
                         : ConfigFile.str();
  if (!File.empty()) {
    llvm::Expected<Config> Loaded = loadConfig(File);
    if (!Loaded)
      return Loaded.takeError();
    S.Cfg = std::move(*Loaded);
    S.HasConfigFile = true;
  } else {
    S.Cfg.Root = absolutePath("."); // as the pass: where the compiler runs
  }
  S.RelPath = relativeTo(Source, S.Cfg.Root);
  if (S.RelPath.empty())
    S.RelPath = llvm::sys::path::filename(Source).str();
  S.FileIncluded = S.Cfg.instruments(S.RelPath, Source);
  S.Module = moduleNameFor(S.RelPath);
  S.DepartmentGiven = !Department.empty();
  S.FileDepartment = Department.empty()
                         ? S.Cfg.departmentFor(S.RelPath).value_or(
                               defaultDepartmentFor(S.RelPath))
                         : Department.str();
  return S;
}

std::string linkageName(const FunctionDecl *FD, MangleContext &M) {
  if (!M.shouldMangleDeclName(FD))
    return FD->getNameAsString();
  GlobalDecl GD(FD);
  if (const auto *Ctor = dyn_cast<CXXConstructorDecl>(FD))
    GD = GlobalDecl(Ctor, Ctor_Complete);
  else if (const auto *Dtor = dyn_cast<CXXDestructorDecl>(FD))
    GD = GlobalDecl(Dtor, Dtor_Complete);
  std::string Name;
  llvm::raw_string_ostream OS(Name);
  M.mangleName(GD, OS);
  return OS.str();
}

/// setjmp and its kind may clobber the start time: the pass leaves such
/// functions untimed.
static bool callsReturnsTwice(const Stmt *Body, const ASTContext &Ctx) {
  struct Finder : RecursiveASTVisitor<Finder> {
    const ASTContext &Ctx;
    bool Found = false;
    explicit Finder(const ASTContext &Ctx) : Ctx(Ctx) {}
    bool VisitCallExpr(CallExpr *Call) {
      if (const FunctionDecl *Callee = Call->getDirectCallee()) {
        unsigned Builtin = Callee->getBuiltinID();
        Found |= Callee->hasAttr<ReturnsTwiceAttr>() ||
                 (Builtin && Ctx.BuiltinInfo.isReturnsTwice(Builtin));
        llvm::StringRef Name = Callee->getIdentifier() ? Callee->getName() : "";
        Found |= Name == "setjmp" || Name == "_setjmp" || Name == "sigsetjmp" ||
                 Name == "__sigsetjmp" || Name == "vfork" ||
                 Name == "getcontext";
      }
      return !Found;
    }
  } F(Ctx);
  F.TraverseStmt(const_cast<Stmt *>(Body));
  return F.Found;
}

bool Selection::ownsHeader(llvm::StringRef AbsPath) const {
  return !HasConfigFile || !relativeTo(AbsPath, Cfg.Root).empty();
}

CharSourceRange outOfClassDefault(const FunctionDecl *FD) {
  const auto *Method = dyn_cast<CXXMethodDecl>(FD);
  const auto *Ctor = dyn_cast<CXXConstructorDecl>(FD);
  // constexpr and consteval ones may be evaluated by the compiler, where a
  // guard cannot be (GCC refused the whole file).
  if (!Method || !FD->isExplicitlyDefaulted() || !Method->isUserProvided() ||
      FD->isConstexpr() ||
      !(isa<CXXDestructorDecl>(FD) || (Ctor && Ctor->isDefaultConstructor())))
    return {};
  const ASTContext &Ctx = FD->getASTContext();
  const SourceManager &SM = Ctx.getSourceManager();
  // An attribute after the declarator (`~A() __attribute__((cold)) =
  // default`) is allowed on a declaration, not on a definition.
  for (const Attr *A : FD->attrs())
    if (A->getLocation().isValid() &&
        SM.isBeforeInTranslationUnit(FD->getLocation(), A->getLocation()))
      return {};
  // The declaration ends before its `= default` (clang 14 keeps no
  // location of it): the next two tokens of the file, when they are.
  auto Equal = Lexer::findNextToken(FD->getEndLoc(), SM, Ctx.getLangOpts());
  if (!Equal || !Equal->is(tok::equal))
    return {};
  auto Default =
      Lexer::findNextToken(Equal->getLocation(), SM, Ctx.getLangOpts());
  if (!Default || !Default->is(tok::raw_identifier) ||
      Default->getRawIdentifier() != "default" ||
      SM.getFileID(Default->getLocation()) !=
          SM.getFileID(Equal->getLocation()))
    return {};
  return CharSourceRange::getTokenRange(Equal->getLocation(),
                                        Default->getLocation());
}

/// Whether a probe can be placed in FD's body, as written in a file that
/// can be rewritten.
static bool probeFits(const FunctionDecl *FD,
                      llvm::function_ref<bool(SourceLocation)> Rewritable) {
  if (FD->isDefaulted()) {
    CharSourceRange Default = outOfClassDefault(FD);
    return Default.isValid() && Rewritable(Default.getBegin());
  }
  // A lambda's call operator is constexpr by default in C++17 (it stays
  // usable at run time; a guard only makes it not constexpr); any other
  // constexpr function may be evaluated by the compiler, where a guard
  // cannot be.
  bool Lambda = isa<CXXMethodDecl>(FD) &&
                cast<CXXMethodDecl>(FD)->getParent()->isLambda();
  if (!FD->doesThisDeclarationHaveABody() || FD->isDeleted() ||
      FD->isImplicit() || FD->isConsteval() || (FD->isConstexpr() && !Lambda) ||
      FD->hasAttr<NakedAttr>())
    return false;
  const auto *Body = dyn_cast_or_null<CompoundStmt>(FD->getBody());
  if (!Body) // a function-try-block or a coroutine
    return false;
  SourceLocation LBrace = Body->getLBracLoc();
  return LBrace.isFileID() && Rewritable(LBrace);
}

/// Where FD's body is written: its '{', or for a template's member
/// defaulted outside the class, which has no body (its instances have
/// theirs, made by the compiler), its `= default`.
static SourceLocation bodyLocation(const FunctionDecl *FD) {
  return FD->getBody() ? FD->getBody()->getBeginLoc()
                       : outOfClassDefault(FD).getBegin();
}

/// The absolute path of the file FD's body is written in; "" when none.
static std::string bodyFile(const FunctionDecl *FD, const SourceManager &SM) {
  const FileEntry *File =
      SM.getFileEntryForID(SM.getFileID(SM.getExpansionLoc(bodyLocation(FD))));
  return File ? absolutePath(File->getName()) : "";
}

/// The header FD's body is written in, relative to Root, when it is not
/// the main file and is under Root (the pass's definingHeader); else "".
static std::string definingHeader(const FunctionDecl *FD,
                                  const SourceManager &SM,
                                  llvm::StringRef Root) {
  if (SM.isWrittenInMainFile(bodyLocation(FD)))
    return "";
  std::string File = bodyFile(FD, SM);
  return File.empty() ? "" : relativeTo(File, Root);
}

/// The file FD's body is written in, relative to Root when under it, else
/// absolute, as the pass writes a function's file without debug
/// information; "" when it has none.  A header's function outside Root
/// (an out-of-tree build's, with no .codensm.yaml) was given its unit's
/// file with its own line: re2's PODArray<int>::data at dfa.cc:24.
static std::string definingFile(const FunctionDecl *FD, const SourceManager &SM,
                                llvm::StringRef Root) {
  std::string File = bodyFile(FD, SM);
  std::string Relative = File.empty() ? "" : relativeTo(File, Root);
  return Relative.empty() ? File : Relative;
}

/// The return type spelled so that __typeof__ accepts it where the probe
/// is; "" when it cannot be (an unnamed type).
static std::string spelledReturnType(const FunctionDecl *FD,
                                     const ASTContext &Ctx) {
  auto Usable = [](const std::string &S) {
    return S.find("(anonymous") == std::string::npos &&
           S.find("(unnamed") == std::string::npos &&
           S.find("(lambda") == std::string::npos &&
           S.find("auto") == std::string::npos;
  };
  QualType T = FD->getReturnType().getUnqualifiedType();
  std::string Written = T.getAsString(Ctx.getPrintingPolicy());
  if (Usable(Written))
    return Written;
  std::string Canonical = T.getCanonicalType().getUnqualifiedType().getAsString(
      Ctx.getPrintingPolicy());
  return Usable(Canonical) ? Canonical : "";
}

/// The one row of all a template's instances: "<qualified name><...>",
/// inline namespaces written as the demangled names of the other rows
/// write them (fmt::v9::detail::f<...>, not fmt::detail::f<...>).
/// The one row of the instances named Names (as the pass names each) of a
/// function in a function template's local class or lambda: the first
/// name, each template argument list before the enclosing function's
/// "(...)" written "<...>", and the closure's parameters "..." where the
/// instances' differ: parser<...>(...)::{lambda(char const*)#1}::operator().
/// The AST's own printing gave "parser(T *)::(anonymous class)::
/// operator()<...>" (re2's RE2::CRadix).
static std::string localInstancesName(llvm::ArrayRef<std::string> Names) {
  const std::string &First = Names.front();
  size_t Enclosing = First.find("(...)::");
  if (Enclosing == std::string::npos)
    return First;
  std::string Name;
  int Depth = 0;
  for (size_t I = 0; I < Enclosing; ++I) {
    char C = First[I];
    // An operator's own '<' and '>' are its name, not brackets
    // (operator<<<...>, operator><...>): the longest operator spelled so.
    if (Depth == 0 && First.compare(I, 8, "operator") == 0) {
      static const char *const Symbols[] = {
          "<=>", "<<=", ">>=", "->*", "<<", ">>", "<=", ">=", "->", "<", ">"};
      size_t Length = 8;
      for (const char *Symbol : Symbols)
        if (First.compare(I + 8, strlen(Symbol), Symbol) == 0) {
          Length += strlen(Symbol);
          break;
        }
      Name += First.substr(I, Length);
      I += Length - 1;
      continue;
    }
    if (C == '<' && Depth++ == 0)
      Name += "<...";
    else if (C == '>' && Depth > 0 && --Depth == 0)
      Name += '>';
    else if (Depth == 0)
      Name += C;
  }
  std::string Rest = First.substr(Enclosing);
  for (const std::string &Other : Names) {
    size_t At = Other.find("(...)::");
    if (At != std::string::npos && Other.substr(At) != Rest) {
      size_t Open = Rest.find("{lambda(");
      size_t Close = Rest.find(")#", Open);
      if (Open != std::string::npos && Close != std::string::npos)
        Rest.replace(Open + 8, Close - Open - 8, "...");
      break;
    }
  }
  return Name + Rest;
}

static std::string allInstancesName(const FunctionDecl *FD,
                                    const ASTContext &Ctx,
                                    llvm::ArrayRef<std::string> InstanceNames) {
  PrintingPolicy Policy(Ctx.getLangOpts());
  Policy.SuppressInlineNamespace = false;
  // Each template among the scopes gets its "<...>" where it is: a class
  // template's member is Box<...>::get, not Box::get<...> (which reads as a
  // member template), its constructor Box<...>::Box, not Box::Box<T><...>.
  std::vector<std::string> Scopes;
  for (const DeclContext *DC = FD->getDeclContext(); !DC->isTranslationUnit();
       DC = DC->getParent()) {
    const auto *Record = dyn_cast<CXXRecordDecl>(DC);
    const auto *Namespace = dyn_cast<NamespaceDecl>(DC);
    if (!Record && !Namespace) { // a function's local class, a linkage spec
      if (isa<LinkageSpecDecl>(DC))
        continue;
      return localInstancesName(InstanceNames);
    }
    if (Namespace)
      Scopes.push_back(Namespace->isAnonymousNamespace()
                           ? "(anonymous namespace)"
                           : Namespace->getNameAsString());
    else
      Scopes.push_back(Record->getNameAsString() +
                       (classTemplateParameters(Record) ? "<...>" : ""));
  }
  std::string Name;
  for (auto Scope = Scopes.rbegin(); Scope != Scopes.rend(); ++Scope)
    Name += *Scope + "::";
  const auto *Method = dyn_cast<CXXMethodDecl>(FD);
  if (isa<CXXConstructorDecl>(FD))
    Name += Method->getParent()->getNameAsString();
  else if (isa<CXXDestructorDecl>(FD))
    Name += "~" + Method->getParent()->getNameAsString();
  else
    Name += FD->getNameAsString();
  return FD->getDescribedFunctionTemplate() ? Name + "<...>" : Name;
}

/// The plan's function counted, never timed: its rows say UNTIMED.
static void neverTimed(FunctionPlan &Plan) {
  Plan.Timed = false;
  Plan.Row.Flags |= abi::Flag_UNTIMED;
  for (FunctionRow &R : Plan.MoreRows)
    R.Flags |= abi::Flag_UNTIMED;
}

llvm::Expected<std::optional<FunctionPlan>>
Selection::plan(const FunctionDecl *FD, ASTContext &Ctx, MangleContext &Mangler,
                llvm::function_ref<bool(SourceLocation)> Rewritable,
                const llvm::DenseSet<const FunctionDecl *> &NeverEmitted,
                const InstancesByPattern &InstancesOfPatterns) const {
  const SourceManager &SM = Ctx.getSourceManager();
  if (!probeFits(FD, Rewritable))
    return std::nullopt;

  FunctionAnnotations Notes;
  for (const AnnotateAttr *A : FD->specific_attrs<AnnotateAttr>()) {
    llvm::StringRef Text = A->getAnnotation();
    if (!Text.startswith("codensm:"))
      continue;
    if (!applyAnnotation(Text.drop_front(strlen("codensm:")), Notes))
      return badAnnotation(RelPath,
                           SM.getExpansionLineNumber(FD->getLocation()), Text,
                           FD->getNameAsString());
  }
  if (Notes.Skip || (!FileIncluded && !Notes.Track))
    return std::nullopt;
  // Code after a `#pragma GCC system_header` (and in the headers included
  // after it) is a system header's for clang, and the pass leaves its
  // functions out (CodeNSMFrontend's facts): so does the rewriter, though
  // it copies such a header with the project's others.
  if (SM.isInSystemHeader(SM.getExpansionLoc(FD->getLocation())) &&
      !Notes.Track)
    return std::nullopt;

  // A template's pattern stands for its instances: a row for each when
  // the probe can tell them apart, else one for all of them.
  const FunctionDecl *Named = FD;
  bool AllInstances = false;
  std::vector<const FunctionDecl *> Instances;
  std::optional<InstanceTags> Tags;
  if (FD->isDependentContext()) {
    auto Found = InstancesOfPatterns.find(FD->getCanonicalDecl());
    if (Found == InstancesOfPatterns.end())
      return std::nullopt; // no code in this unit
    Instances = Found->second;
    Named = Instances.front();
    if (Instances.size() > 1 && TellInstancesApart)
      Tags = instanceTags(FD, Instances, Ctx);
    AllInstances = Instances.size() > 1 && !Tags;
  }
  std::string Mangled = linkageName(Named, Mangler);
  if (isStandardLibraryName(Mangled) && !Notes.Track)
    return std::nullopt;
  GVALinkage Linkage = Ctx.GetGVALinkageForFunction(Named);
  if (Linkage == GVA_AvailableExternally)
    return std::nullopt; // C99 inline: the unit emits no code for it
  // A static or inline function no emitted code refers to is in no object
  // (the plugin never sees it), in a header or in the main file.
  if ((Linkage == GVA_Internal || Linkage == GVA_DiscardableODR) &&
      NeverEmitted.count(Named->getCanonicalDecl()))
    return std::nullopt;

  FunctionPlan Plan;
  Plan.FD = FD;
  Plan.Defaulted = outOfClassDefault(FD);
  std::vector<std::string> InstanceNames;
  for (const FunctionDecl *Instance : Instances)
    InstanceNames.push_back(
        qualifiedFunctionName(linkageName(Instance, Mangler)));
  std::string Qualified = AllInstances
                              ? allInstancesName(FD, Ctx, InstanceNames)
                              : qualifiedFunctionName(Mangled);
  Plan.Row = row(FD, Qualified, Linkage, Notes, SM);
  // How a call site in another unit names it (edge_info.callee_symbol).
  if (!AllInstances && Linkage != GVA_Internal)
    Plan.Row.SymbolHash = symbolHash(Mangled);
  if (Tags) {
    Plan.PatternTag = Tags->Pattern;
    Plan.InstanceTags = Tags->Instances;
    for (size_t I = 1; I < Instances.size(); ++I) {
      std::string Name = linkageName(Instances[I], Mangler);
      GVALinkage InstanceLinkage = Ctx.GetGVALinkageForFunction(Instances[I]);
      Plan.MoreRows.push_back(
          row(FD, qualifiedFunctionName(Name), InstanceLinkage, Notes, SM));
      if (InstanceLinkage != GVA_Internal)
        Plan.MoreRows.back().SymbolHash = symbolHash(Name);
    }
  }
  if (callsReturnsTwice(FD->getBody(), Ctx))
    neverTimed(Plan);
  ErrorConvention Errors = static_cast<ErrorConvention>(Plan.Row.Errors);
  // The pass's untimed policy, on an estimate of its count: never for a
  // function the team said something about (an annotation, a convention,
  // a weight), which is timed as the plugin times it.
  bool Described = Notes.Department || Notes.Weight || Notes.Errors ||
                   Notes.Track || Errors != ErrorsNone || Plan.Row.Weight != 1;
  unsigned MaxOperations =
      Cfg.UntimedInstructions.value_or(DefaultUntimedInstructions);
  if (!Described && Plan.Timed &&
      llvm::all_of(FD->isDependentContext()
                       ? Instances
                       : std::vector<const FunctionDecl *>{FD},
                   [&](const FunctionDecl *Code) {
                     return isSmallLeaf(Code, Ctx, MaxOperations);
                   })) {
    neverTimed(Plan);
    Plan.CountOnly = true;
  }
  Plan.Check = errorCheck(Ctx, FD->getReturnType(), Errors);
  if (!Plan.Check.empty())
    Plan.ReturnType = spelledReturnType(FD, Ctx);
  if (Plan.ReturnType.empty())
    Plan.Check.clear();
  return Plan;
}

FunctionRow Selection::row(const FunctionDecl *FD, llvm::StringRef Qualified,
                           GVALinkage Linkage, const FunctionAnnotations &Notes,
                           const SourceManager &SM) const {
  FunctionRow R;
  std::string Department = FileDepartment;
  std::string Header = definingHeader(FD, SM, Cfg.Root);
  if (Linkage == GVA_DiscardableODR || Linkage == GVA_StrongODR) {
    R.Name = Qualified.str();
    R.Flags |= abi::Flag_ODR;
  } else if (!Header.empty() && nameableByHeader(Qualified)) {
    // One row for a static helper of a header, however many units have it.
    R.Name = moduleNameFor(Header) + "." + Qualified.str();
    if (!DepartmentGiven)
      Department =
          Cfg.departmentFor(Header).value_or(defaultDepartmentFor(Header));
  } else {
    R.Name = Module + "." + Qualified.str();
  }
  R.Name = bounded(R.Name, MaxNameBytes);
  R.Department =
      bounded(Notes.Department.value_or(Department), MaxDepartmentBytes);
  R.Weight = Notes.Weight ? *Notes.Weight : Cfg.weightFor(R.Name).value_or(1);
  ErrorConvention Errors =
      Notes.Errors ? *Notes.Errors : Cfg.errorsFor(R.Name).value_or(ErrorsNone);
  R.Errors = Errors;
  std::string Defined = definingFile(FD, SM, Cfg.Root);
  R.File = Defined.empty() ? RelPath : Defined;
  R.Line = SM.getExpansionLineNumber(FD->getLocation());
  return R;
}

} // namespace rewrite
} // namespace codensm
