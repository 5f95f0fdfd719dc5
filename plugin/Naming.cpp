// SPDX-License-Identifier: Apache-2.0
//===- Naming.cpp - readable, stable function and module names -----------===//
#include "Naming.h"
#include "Compat.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Demangle/Demangle.h"
#include "llvm/IR/DebugInfoMetadata.h"
#include "llvm/IR/Function.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <cctype>
#include <cstdio>
#include <cstdlib>

using namespace llvm;

namespace codensm {

namespace {

/// One parsed mangled name; the demangler keeps pointers into the string,
/// so the string lives as long as the parse.
struct Demangled {
  std::string Mangled;
  ItaniumPartialDemangler Parser;
  bool Ok = false;

  explicit Demangled(std::string Name) : Mangled(std::move(Name)) {
    Ok = !Parser.partialDemangle(Mangled.c_str());
  }
  /// The name without return type and parameters for functions, the whole
  /// demangling otherwise; "" when it fails.
  std::string name() const {
    size_t Size = 0;
    char *Text = Parser.isFunction() ? Parser.getFunctionName(nullptr, &Size)
                                     : Parser.finishDemangle(nullptr, &Size);
    return take(Text);
  }
  std::string full() const {
    size_t Size = 0;
    return take(Parser.finishDemangle(nullptr, &Size));
  }
  static std::string take(char *Text) {
    if (!Text)
      return "";
    std::string Result(Text);
    std::free(Text);
    return Result;
  }
};

} // namespace

/// Index just past the bracketed group opening at Text[At] ('(' or '<'),
/// nested groups included; npos when it does not close.
static size_t skipGroup(StringRef Text, size_t At) {
  char Open = Text[At], Close = Open == '(' ? ')' : '>';
  int Depth = 0;
  for (size_t I = At; I < Text.size(); ++I) {
    if (Text[I] == Open)
      ++Depth;
    else if (Text[I] == Close && --Depth == 0)
      return I + 1;
  }
  return StringRef::npos;
}

/// The demangler's "'lambda2'(int)" and "'unnamed1'" are c++filt's
/// "{lambda(int)#4}" and "{unnamed type#2}": the closure's parameters and
/// its number among the lambdas with those parameters in the same scope,
/// which together tell one lambda from another, in a spelling people know
/// from c++filt, gdb and perf.
static std::string readableUnnamed(StringRef Name) {
  std::string Out;
  size_t I = 0;
  while (I < Name.size()) {
    bool Lambda = startsWith(Name.substr(I), "'lambda");
    bool Unnamed = startsWith(Name.substr(I), "'unnamed");
    if (!Lambda && !Unnamed) {
      Out += Name[I++];
      continue;
    }
    size_t Digits = I + (Lambda ? 7 : 8), Quote = Name.find('\'', Digits);
    StringRef Count =
        Quote == StringRef::npos ? StringRef() : Name.slice(Digits, Quote);
    unsigned Number = 0;
    if (Quote == StringRef::npos ||
        (!Count.empty() && Count.getAsInteger(10, Number))) {
      Out += Name[I++]; // not the demangler's spelling: leave it
      continue;
    }
    Number = Count.empty() ? 1 : Number + 2; // '' is the first, '0' the second
    size_t End = Quote + 1;
    std::string Signature;
    if (Lambda) {
      if (End < Name.size() && Name[End] == '<') // a generic lambda's
        End = skipGroup(Name, End);              // template parameters
      if (End == StringRef::npos || End >= Name.size() || Name[End] != '(') {
        Out += Name[I++];
        continue;
      }
      size_t Params = End;
      End = skipGroup(Name, Params);
      if (End == StringRef::npos) {
        Out += Name[I++];
        continue;
      }
      Signature = Name.slice(Params, End).str();
    }
    Out += (Lambda ? "{lambda" + Signature : std::string("{unnamed type")) +
           "#" + std::to_string(Number) + "}";
    I = End;
  }
  return Out;
}

/// A local entity demangles as its whole enclosing function, return type
/// and parameters included ("std::vector<int> app::f<int>(int)::'lambda'
/// (int)::operator()"); name that function the way functions are named,
/// followed by "(...)".  The enclosing function's encoding ends at the
/// first 'E' after which it parses on its own: every earlier 'E' closes a
/// group that opened inside it.
static std::string shortenLocalScope(StringRef Mangled, StringRef Name) {
  StringRef Rest = Mangled.drop_front(3); // "_ZZ"
  for (size_t E = Rest.find('E'); E != StringRef::npos;
       E = Rest.find('E', E + 1)) {
    Demangled Outer("_Z" + Rest.substr(0, E).str());
    if (!Outer.Ok)
      continue;
    std::string Full = Outer.full();
    if (Full.empty() || !startsWith(Name, Full + "::"))
      return Name.str(); // printed differently: keep the long form
    return qualifiedFunctionName(Outer.Mangled) + "(...)" +
           Name.substr(Full.size()).str();
  }
  return Name.str();
}

std::string qualifiedFunctionName(StringRef LinkageName) {
  // Clang prefixes some internal names with \1 to stop further mangling.
  if (!LinkageName.empty() && LinkageName.front() == '\1')
    LinkageName = LinkageName.drop_front();
  if (LinkageName.size() < 2 || LinkageName.substr(0, 2) != "_Z")
    return LinkageName.str();

  Demangled D(LinkageName.str());
  if (!D.Ok)
    return D.Mangled;
  std::string Result = D.name();
  if (Result.empty())
    return D.Mangled;
  if (startsWith(LinkageName, "_ZZ"))
    Result = shortenLocalScope(LinkageName, Result);
  Result = readableUnnamed(Result);
  // A closure's constructor and destructor have no name of their own: the
  // demangler prints "...::'lambda'(int)::" and "...::~".
  if (D.Parser.isCtorOrDtor()) {
    StringRef Text(Result);
    bool Dtor = endsWith(Text, "::~");
    if (Dtor || endsWith(Text, "::")) {
      StringRef Scope = Text.drop_back(Dtor ? 3 : 2);
      size_t Open = Scope.rfind('{');
      bool IsLambda =
          Open != StringRef::npos && startsWith(Scope.substr(Open), "{lambda");
      Result += IsLambda ? "lambda" : "unnamed";
    }
  }
  // ABI tags ("vformat[abi:cxx11]") say how a type is laid out, not which
  // function this is: drop them, as a reader would.
  for (size_t Tag; (Tag = Result.find("[abi:")) != std::string::npos;) {
    size_t End = Result.find(']', Tag);
    if (End == std::string::npos)
      break;
    Result.erase(Tag, End - Tag + 1);
  }
  return Result.empty() ? D.Mangled : Result;
}

std::string outermostScope(StringRef Name) {
  if (!Name.empty() && Name.front() == '\1')
    Name = Name.drop_front();
  if (!Name.consume_front("_Z"))
    return "";
  // A local entity <Z encoding E entity> is in its function's scope, and
  // that function's encoding starts right after the 'Z'.
  while (Name.consume_front("Z")) {
  }
  bool Nested = Name.consume_front("N");
  if (Nested) {
    while (!Name.empty() && StringRef("rVK").contains(Name.front()))
      Name = Name.drop_front(); // cv-qualifiers of a member function
    if (!Name.empty() && (Name.front() == 'R' || Name.front() == 'O'))
      Name = Name.drop_front(); // its ref-qualifier
  }
  // "St" is ::std::, and Sa, Sb, Ss, Si, So, Sd abbreviate std::allocator,
  // std::basic_string, std::string and the std streams.
  if (Name.size() >= 2 && Name[0] == 'S' &&
      StringRef("tabsiod").contains(Name[1]))
    return "std";
  if (!Nested)
    return "";             // an unscoped name: the global namespace
  Name.consume_front("L"); // internal linkage
  size_t Digits = 0;
  while (Digits < Name.size() &&
         isdigit(static_cast<unsigned char>(Name[Digits])))
    ++Digits;
  unsigned Length = 0;
  if (Digits == 0 || Name.substr(0, Digits).getAsInteger(10, Length) ||
      Digits + Length > Name.size())
    return "";
  return Name.substr(Digits, Length).str();
}

bool isStandardLibraryName(StringRef LinkageName) {
  std::string Scope = outermostScope(LinkageName);
  return Scope == "std" || Scope == "__gnu_cxx" || Scope == "__gnu_debug" ||
         Scope == "__cxxabiv1";
}

/// The absolute path a debug-info file stands for.
static std::string debugFilePath(const DIFile &File) {
  SmallString<256> Path(File.getFilename());
  if (!sys::path::is_absolute(Path)) {
    Path = File.getDirectory();
    sys::path::append(Path, File.getFilename());
  }
  return absolutePath(Path);
}

std::string definingHeader(const Function &F, StringRef Root) {
  const DISubprogram *SP = F.getSubprogram();
  if (!SP || !SP->getFile() || !SP->getUnit() || !SP->getUnit()->getFile())
    return "";
  std::string Defined = debugFilePath(*SP->getFile());
  if (Defined == debugFilePath(*SP->getUnit()->getFile()) ||
      Defined == absolutePath(F.getParent()->getSourceFileName()))
    return "";
  return relativeTo(Defined, Root);
}

bool nameableByHeader(StringRef Qualified) {
  if (Qualified.contains("$_"))
    return false;
  // Any '<' that is not part of an operator's name opens template arguments.
  for (size_t I = 0; I < Qualified.size(); ++I) {
    if (startsWith(Qualified.substr(I), "operator")) {
      I += 8;
      while (I < Qualified.size() && StringRef("<=>").contains(Qualified[I]))
        ++I;
      if (I >= Qualified.size())
        break;
    }
    if (Qualified[I] == '<')
      return false;
  }
  return true;
}

std::string absolutePath(StringRef Path) {
  SmallString<256> Abs(Path);
  sys::fs::make_absolute(Abs);
  sys::path::remove_dots(Abs, /*remove_dot_dot=*/true);
  return std::string(Abs.str());
}

std::string relativeTo(StringRef AbsPath, StringRef Root) {
  StringRef RootDir = Root.rtrim('/');
  if (AbsPath.size() <= RootDir.size() + 1 ||
      AbsPath.substr(0, RootDir.size()) != RootDir ||
      AbsPath[RootDir.size()] != '/')
    return "";
  return AbsPath.substr(RootDir.size() + 1).str();
}

std::string moduleNameFor(StringRef RelPath) {
  SmallString<128> Name(RelPath);
  sys::path::replace_extension(Name, "");
  return std::string(Name.str());
}

uint64_t symbolHash(StringRef LinkageName) {
  uint64_t H = 0xcbf29ce484222325u;
  for (unsigned char C : LinkageName) {
    H ^= C;
    H *= 0x100000001b3u;
  }
  return H ? H : 1; // 0 means "no symbol"
}

std::string bounded(StringRef Text, size_t Max) {
  if (Text.size() <= Max)
    return Text.str();
  uint64_t Hash = 14695981039346656037ull; // FNV-1a
  for (unsigned char C : Text)
    Hash = (Hash ^ C) * 1099511628211ull;
  size_t Keep = Max - 17;
  // Never cut a UTF-8 sequence in two.
  while (Keep > 0 && (static_cast<unsigned char>(Text[Keep]) & 0xC0) == 0x80)
    --Keep;
  char Suffix[18];
  snprintf(Suffix, sizeof Suffix, "~%016llx", (unsigned long long)Hash);
  return Text.substr(0, Keep).str() + Suffix;
}

std::string defaultDepartmentFor(StringRef RelPath) {
  StringRef Dir = sys::path::parent_path(RelPath);
  return Dir.empty() ? "root" : Dir.str();
}

} // namespace codensm
