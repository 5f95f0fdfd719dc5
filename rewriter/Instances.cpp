// SPDX-License-Identifier: Apache-2.0
//===- Instances.cpp - a template's instances told apart in its one body --===//
#include "Instances.h"

#include "clang/AST/DeclCXX.h"
#include "clang/AST/DeclTemplate.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringExtras.h"

using namespace clang;

namespace codensm {
namespace rewrite {

InstancesByPattern instancesByPattern(ASTContext &Ctx) {
  struct Finder : RecursiveASTVisitor<Finder> {
    InstancesByPattern Found;
    llvm::DenseSet<const FunctionDecl *> Seen;
    bool shouldVisitTemplateInstantiations() const { return true; }
    bool shouldVisitImplicitCode() const { return true; }
    bool VisitFunctionDecl(FunctionDecl *FD) {
      if (FD->isDependentContext() || !FD->doesThisDeclarationHaveABody() ||
          !Seen.insert(FD).second)
        return true;
      if (const FunctionDecl *Pattern = FD->getTemplateInstantiationPattern())
        Found[Pattern->getCanonicalDecl()].push_back(FD);
      return true;
    }
  } F;
  F.TraverseDecl(Ctx.getTranslationUnitDecl());
  return std::move(F.Found);
}

const TemplateParameterList *
classTemplateParameters(const CXXRecordDecl *Record) {
  if (const ClassTemplateDecl *Class = Record->getDescribedClassTemplate())
    return Class->getTemplateParameters();
  if (const auto *Partial =
          dyn_cast<ClassTemplatePartialSpecializationDecl>(Record))
    return Partial->getTemplateParameters();
  return nullptr;
}

/// The parameters the instances differ by, and the arguments of one
/// instance: the function template's, or its class template's.
static const TemplateParameterList *parametersOf(const FunctionDecl *FD) {
  if (FD->getDeclContext()->isDependentContext()) {
    const auto *Method = dyn_cast<CXXMethodDecl>(FD);
    if (!Method || FD->getDescribedFunctionTemplate())
      return nullptr;
    const CXXRecordDecl *Parent = Method->getParent();
    const TemplateParameterList *Params = classTemplateParameters(Parent);
    if (!Params || Parent->getDeclContext()->isDependentContext())
      return nullptr;
    // Defined out of its class, the member names the parameters as its own
    // template<...> writes them, which is where its probe is.
    if (FD->getNumTemplateParameterLists() == 1)
      Params = FD->getTemplateParameterList(0);
    return Params;
  }
  const FunctionTemplateDecl *T = FD->getDescribedFunctionTemplate();
  return T ? T->getTemplateParameters() : nullptr;
}

static const TemplateArgumentList *argumentsOf(const FunctionDecl *Instance) {
  if (const TemplateArgumentList *Args =
          Instance->getTemplateSpecializationArgs())
    return Args;
  // An instance of a partial specialization's member: the arguments of the
  // partial specialization's parameters (As<int, void> of As<T, void>: int).
  const auto *Spec =
      dyn_cast<ClassTemplateSpecializationDecl>(Instance->getDeclContext());
  return Spec ? &Spec->getTemplateInstantiationArgs() : nullptr;
}

/// The pattern's parameters as the tag's arguments: "T", "Ts...",
/// "__codensm_v<decltype(K), K>"; false for a template template or an
/// unnamed parameter.
static bool spellParameters(const TemplateParameterList &Params,
                            std::string &Out) {
  for (const NamedDecl *P : Params) {
    std::string Name = P->getNameAsString();
    if (Name.empty())
      return false;
    std::string Spelled;
    if (isa<TemplateTypeParmDecl>(P))
      Spelled = Name;
    else if (isa<NonTypeTemplateParmDecl>(P))
      Spelled = "__codensm_v<decltype(" + Name + "), " + Name + ">";
    else
      return false;
    Out += ", " + Spelled + (P->isParameterPack() ? "..." : "");
  }
  return true;
}

static bool nameable(QualType T, const PrintingPolicy &Policy);

/// Whether a class template's arguments can be named: its types, and those
/// of its packs (std::tuple<Outer::Priv>).
static bool argumentsNameable(llvm::ArrayRef<TemplateArgument> Arguments,
                              const PrintingPolicy &Policy) {
  for (const TemplateArgument &A : Arguments)
    if ((A.getKind() == TemplateArgument::Type &&
         !nameable(A.getAsType(), Policy)) ||
        (A.getKind() == TemplateArgument::Pack &&
         !argumentsNameable(A.pack_elements(), Policy)))
      return false;
  return true;
}

/// Whether a type can be named at the end of the file: no part of it
/// private or protected, in an anonymous namespace, local or unnamed.
static bool nameable(QualType T, const PrintingPolicy &Policy) {
  std::string S = T.getAsString(Policy);
  if (S.find("(anonymous") != std::string::npos ||
      S.find("(unnamed") != std::string::npos ||
      S.find("(lambda") != std::string::npos)
    return false;
  const Type *Base = T->getPointeeOrArrayElementType();
  while (Base->isPointerType() || Base->isReferenceType())
    Base = Base->getPointeeType()->getPointeeOrArrayElementType();
  // A function's type (a callback's pointer: re2's RE2::Apply) is as
  // nameable as its result and parameters.
  if (const auto *Function = Base->getAs<FunctionProtoType>()) {
    if (!nameable(Function->getReturnType(), Policy))
      return false;
    for (QualType Parameter : Function->getParamTypes())
      if (!nameable(Parameter, Policy))
        return false;
    return true;
  }
  const TagDecl *Tag = Base->getAsTagDecl();
  // The type and every class it is nested in, with their template
  // arguments: Map<Outer::Priv *>::Entry names Priv as much as
  // Map<Outer::Priv *> does (re2's PODArray<SparseArray<NFA::Thread
  // *>::IndexValue>: GCC refused the file's overloads, and every template
  // of nfa.cc was given one row).
  for (const Decl *D = Tag; D;
       D = dyn_cast_or_null<Decl>(D->getDeclContext())) {
    if (D->getAccess() == AS_private || D->getAccess() == AS_protected ||
        D->getParentFunctionOrMethod())
      return false;
    if (const auto *Spec = dyn_cast<ClassTemplateSpecializationDecl>(D))
      if (!argumentsNameable(Spec->getTemplateArgs().asArray(), Policy))
        return false;
  }
  return Base->isBuiltinType() || Tag;
}

/// One instance's argument as the tag's: the type, or
/// "__codensm_v<T, static_cast<T>(Vll)>"; a pack's elements in turn.
static bool spellArgument(const TemplateArgument &A,
                          const PrintingPolicy &Policy, std::string &Out) {
  switch (A.getKind()) {
  case TemplateArgument::Type: {
    QualType T = A.getAsType().getCanonicalType();
    if (!nameable(T, Policy))
      return false;
    Out += ", " + T.getAsString(Policy);
    return true;
  }
  case TemplateArgument::Integral: {
    QualType T = A.getIntegralType().getCanonicalType();
    llvm::APSInt V = A.getAsIntegral();
    if (!nameable(T, Policy) || (V.isSigned() && V.isMinSignedValue()))
      return false;
    std::string Type = T.getAsString(Policy);
    Out += ", __codensm_v<" + Type + ", static_cast<" + Type + ">(" +
           llvm::toString(V, 10, V.isSigned()) + (V.isSigned() ? "ll" : "ull") +
           ")>";
    return true;
  }
  case TemplateArgument::Pack:
    for (const TemplateArgument &E : A.pack_elements())
      if (!spellArgument(E, Policy, Out))
        return false;
    return true;
  default:
    return false;
  }
}

std::optional<InstanceTags>
instanceTags(const FunctionDecl *Pattern,
             llvm::ArrayRef<const FunctionDecl *> Instances,
             const ASTContext &Ctx) {
  const TemplateParameterList *Params = parametersOf(Pattern);
  InstanceTags Tags;
  // A deduced return type makes GCC instantiate the body where it is
  // first called, before the overloads.
  if (!Ctx.getLangOpts().CPlusPlus11 || !Params ||
      Pattern->getReturnType()->getContainedDeducedType() ||
      !spellParameters(*Params, Tags.Pattern))
    return std::nullopt;
  PrintingPolicy Policy(Ctx.getLangOpts());
  Policy.PrintCanonicalTypes = true;
  for (const FunctionDecl *Instance : Instances) {
    const TemplateArgumentList *Args = argumentsOf(Instance);
    // An explicit instantiation's body is made where it is written, before
    // the overloads at the end of the file.
    if (!Args || Instance->getTemplateSpecializationKind() ==
                     TSK_ExplicitInstantiationDefinition)
      return std::nullopt;
    std::string Spelled;
    for (const TemplateArgument &A : Args->asArray())
      if (!spellArgument(A, Policy, Spelled))
        return std::nullopt;
    Tags.Instances.push_back(Spelled);
  }
  return Tags;
}

} // namespace rewrite
} // namespace codensm
