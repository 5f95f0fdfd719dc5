//===- Naming.cpp - readable, stable function and module names -----------===//
#include "Naming.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Demangle/Demangle.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <cstdio>
#include <cstdlib>

using namespace llvm;

namespace codensm {

std::string qualifiedFunctionName(StringRef LinkageName) {
  // Clang prefixes some internal names with \1 to stop further mangling.
  if (!LinkageName.empty() && LinkageName.front() == '\1')
    LinkageName = LinkageName.drop_front();
  if (LinkageName.size() < 2 || LinkageName.substr(0, 2) != "_Z")
    return LinkageName.str();

  // The demangler keeps pointers into the string it parsed: hold it alive
  // until the name has been copied out.
  std::string Mangled = LinkageName.str();
  ItaniumPartialDemangler Demangler;
  if (Demangler.partialDemangle(Mangled.c_str()))
    return Mangled;
  size_t Size = 0;
  char *Name = Demangler.isFunction()
                   ? Demangler.getFunctionName(nullptr, &Size)
                   : Demangler.finishDemangle(nullptr, &Size);
  if (!Name)
    return Mangled;
  std::string Result(Name);
  std::free(Name);
  // ABI tags ("vformat[abi:cxx11]") say how a type is laid out, not which
  // function this is: drop them, as a reader would.
  for (size_t Tag; (Tag = Result.find("[abi:")) != std::string::npos;) {
    size_t End = Result.find(']', Tag);
    if (End == std::string::npos)
      break;
    Result.erase(Tag, End - Tag + 1);
  }
  return Result.empty() ? Mangled : Result;
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
