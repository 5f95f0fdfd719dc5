// SPDX-License-Identifier: Apache-2.0
//===- Config.cpp - .codensm.yaml discovery, parsing and matching --------===//
//
// The file is YAML, read with LLVM's own YAML parser so that every problem
// can be reported with its line and column.  Accepted keys:
//
//   include:     [path globs]            default: every file
//   exclude:     [path globs]            exclude wins over include
//   departments: {path prefix: name}     longest prefix wins
//   weights:     {name prefix: integer}  longest prefix wins
//   errors:      {name prefix: negative|nonzero|zero|null|false}
//
// Anything else (an unknown key, a wrong type, a bad value) is an error: a
// silently ignored typo would instrument, or hide, the wrong code.
//
// A build system can select files too (target_codensm's INCLUDE and
// EXCLUDE): -codensm-include and -codensm-exclude, with the same globs and
// the same matcher, relative to a directory of its own, -codensm-glob-root
// (or against the path it gives as -codensm-source-path).  A file must be
// selected by both.  The
// options live here rather than with the pass's own: what they mean is the
// configuration's, and codensm-rewrite will share it.
//
//===----------------------------------------------------------------------===//
#include "Config.h"
#include "Compat.h"
#include "Naming.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/YAMLParser.h"

#include <fnmatch.h>

using namespace llvm;

static cl::list<std::string>
    ClInclude("codensm-include",
              cl::desc("Instrument only files this path glob selects (with "
                       "-codensm-exclude: a build system's selection, on "
                       "top of .codensm.yaml's; may repeat)"),
              cl::value_desc("glob"));
static cl::list<std::string>
    ClExclude("codensm-exclude",
              cl::desc("Do not instrument files this path glob selects "
                       "(wins over -codensm-include; may repeat)"),
              cl::value_desc("glob"));
static cl::opt<std::string> ClSourcePath(
    "codensm-source-path",
    cl::desc("This file's path as -codensm-include and -codensm-exclude "
             "match it (default: relative to -codensm-glob-root, or to the "
             "configuration's root)"),
    cl::value_desc("path"), cl::init(""));
static cl::opt<std::string>
    ClGlobRoot("codensm-glob-root",
               cl::desc("The directory -codensm-include and -codensm-exclude "
                        "are relative to (target_codensm: the target's "
                        "source directory)"),
               cl::value_desc("dir"), cl::init(""));

namespace codensm {

std::optional<ErrorConvention> parseErrorConvention(StringRef Name) {
#define CNSM_ABI_ERRORS(Id, Value, Spelling)                                   \
  if (Name == Spelling)                                                        \
    return static_cast<ErrorConvention>(Value);
#include "codensm_abi.inc"
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Matching
//===----------------------------------------------------------------------===//

/// The value of the longest key in Map that prefixes Key.
template <typename T>
static std::optional<T>
longestPrefix(const std::vector<std::pair<std::string, T>> &Map,
              StringRef Key) {
  std::optional<T> Best;
  size_t BestLen = 0;
  for (const auto &Entry : Map) {
    if (startsWith(Key, Entry.first) &&
        (!Best || Entry.first.size() > BestLen)) {
      Best = Entry.second;
      BestLen = Entry.first.size();
    }
  }
  return Best;
}

static bool matchComponents(ArrayRef<StringRef> Pat, ArrayRef<StringRef> Path) {
  if (Pat.empty())
    return Path.empty();
  if (Pat.front() == "**") {
    for (size_t Skip = 0; Skip <= Path.size(); ++Skip)
      if (matchComponents(Pat.drop_front(), Path.drop_front(Skip)))
        return true;
    return false;
  }
  if (Path.empty())
    return false;
  std::string P = Pat.front().str(), N = Path.front().str();
  if (fnmatch(P.c_str(), N.c_str(), FNM_PERIOD) != 0)
    return false;
  return matchComponents(Pat.drop_front(), Path.drop_front());
}

bool globMatches(StringRef Pattern, StringRef RelPath) {
  while (startsWith(Pattern, "./"))
    Pattern = Pattern.drop_front(2);
  Pattern = Pattern.ltrim('/');
  std::string Anchored = Pattern.str();
  if (Pattern.find('/') == StringRef::npos)
    Anchored = "**/" + Anchored;
  StringRef Trimmed = StringRef(Anchored).rtrim('/');

  SmallVector<StringRef, 8> Pat, Path;
  Trimmed.split(Pat, '/', -1, false);
  RelPath.split(Path, '/', -1, false);
  // Like .gitignore, a pattern that names a directory covers what is in it.
  for (size_t Len = Path.size(); Len > 0; --Len)
    if (matchComponents(Pat, ArrayRef<StringRef>(Path).take_front(Len)))
      return true;
  return false;
}

/// Whether Include and Exclude select Path: exclude wins, and no include
/// selects every path.
static bool selects(const std::vector<std::string> &Include,
                    const std::vector<std::string> &Exclude, StringRef Path) {
  for (const std::string &Glob : Exclude)
    if (globMatches(Glob, Path))
      return false;
  if (Include.empty())
    return true;
  for (const std::string &Glob : Include)
    if (globMatches(Glob, Path))
      return true;
  return false;
}

/// AbsPath relative to the directory Dir, both absolute and without dots,
/// with ".." where it lies outside, as CMake's file(RELATIVE_PATH) writes it
/// (a source generated in the build tree: ../build/gen.c).
static std::string relativeWithParents(StringRef AbsPath, StringRef Dir) {
  SmallVector<StringRef, 16> From, To;
  StringRef(Dir).rtrim('/').split(From, '/', -1, /*KeepEmpty=*/false);
  AbsPath.split(To, '/', -1, /*KeepEmpty=*/false);
  size_t Common = 0;
  while (Common < From.size() && Common < To.size() &&
         From[Common] == To[Common])
    ++Common;
  SmallString<256> Path;
  for (size_t I = Common; I < From.size(); ++I)
    sys::path::append(Path, "..");
  for (size_t I = Common; I < To.size(); ++I)
    sys::path::append(Path, To[I]);
  return std::string(Path.str());
}

bool Config::instruments(StringRef RelPath, StringRef SourcePath) const {
  if (!selects(Include, Exclude, RelPath))
    return false;
  if (ClInclude.empty() && ClExclude.empty())
    return true;
  if (!ClSourcePath.empty())
    return selects(ClInclude, ClExclude, ClSourcePath);
  if (!ClGlobRoot.empty())
    return selects(ClInclude, ClExclude,
                   relativeWithParents(SourcePath, absolutePath(ClGlobRoot)));
  return selects(ClInclude, ClExclude, RelPath);
}

std::optional<std::string> Config::departmentFor(StringRef RelPath) const {
  return longestPrefix(Departments, RelPath);
}

std::optional<unsigned> Config::weightFor(StringRef Name) const {
  return longestPrefix(Weights, Name);
}

std::optional<ErrorConvention> Config::errorsFor(StringRef Name) const {
  return longestPrefix(Errors, Name);
}

//===----------------------------------------------------------------------===//
// Discovery
//===----------------------------------------------------------------------===//

std::string findConfigFile(StringRef Dir) {
  SmallString<256> Current(Dir);
  sys::fs::make_absolute(Current);
  sys::path::remove_dots(Current, /*remove_dot_dot=*/true);
  while (!Current.empty()) {
    SmallString<256> Candidate(Current);
    sys::path::append(Candidate, ".codensm.yaml");
    if (sys::fs::is_regular_file(Candidate))
      return std::string(Candidate.str());
    StringRef Parent = sys::path::parent_path(Current);
    if (Parent == Current)
      break;
    Current = Parent;
  }
  return "";
}

//===----------------------------------------------------------------------===//
// Parsing
//===----------------------------------------------------------------------===//

namespace {

/// Walks the YAML tree, turning each problem into "file:line:col: message".
class ConfigParser {
public:
  ConfigParser(StringRef File, SourceMgr &SM) : File(File), SM(SM) {}

  Error parseTop(yaml::Node *Root, Config &C);

private:
  Error problem(yaml::Node *N, const Twine &Message) {
    auto LineCol = SM.getLineAndColumn(N->getSourceRange().Start);
    return createStringError(inconvertibleErrorCode(), "%s:%u:%u: %s",
                             File.str().c_str(), LineCol.first, LineCol.second,
                             Message.str().c_str());
  }

  /// A whole number from 0 to 10,000 into Out.
  Error parseCount(yaml::Node *N, StringRef Key, std::optional<unsigned> &Out) {
    Expected<std::string> Text = scalar(N, Key);
    if (!Text)
      return Text.takeError();
    unsigned Value;
    if (StringRef(*Text).getAsInteger(10, Value) || Value > 10000)
      return problem(N, "'" + Key + "' must be a whole number from 0 to 10000");
    Out = Value;
    return Error::success();
  }

  Expected<std::string> scalar(yaml::Node *N, const Twine &What) {
    auto *S = dyn_cast_or_null<yaml::ScalarNode>(N);
    if (!S)
      return problem(N, What + " must be a plain value");
    SmallString<64> Storage;
    return S->getValue(Storage).str();
  }

  Error parseGlobs(yaml::Node *N, StringRef Key, std::vector<std::string> &Out);
  template <typename T, typename ParseValue>
  Error parseMap(yaml::Node *N, StringRef Key,
                 std::vector<std::pair<std::string, T>> &Out,
                 ParseValue ParseOne);

  StringRef File;
  SourceMgr &SM;
};

} // namespace

Error ConfigParser::parseGlobs(yaml::Node *N, StringRef Key,
                               std::vector<std::string> &Out) {
  if (isa<yaml::NullNode>(N))
    return Error::success();
  if (isa<yaml::ScalarNode>(N)) { // a single glob is accepted as is
    Expected<std::string> Glob = scalar(N, Key);
    if (!Glob)
      return Glob.takeError();
    Out.push_back(*Glob);
    return Error::success();
  }
  auto *Seq = dyn_cast<yaml::SequenceNode>(N);
  if (!Seq)
    return problem(N, "'" + Key + "' must be a list of path globs");
  for (yaml::Node &Item : *Seq) {
    Expected<std::string> Glob = scalar(&Item, "each entry of '" + Key + "'");
    if (!Glob)
      return Glob.takeError();
    if (Glob->empty())
      return problem(&Item, "empty glob in '" + Key + "'");
    Out.push_back(*Glob);
  }
  return Error::success();
}

template <typename T, typename ParseValue>
Error ConfigParser::parseMap(yaml::Node *N, StringRef Key,
                             std::vector<std::pair<std::string, T>> &Out,
                             ParseValue ParseOne) {
  if (isa<yaml::NullNode>(N))
    return Error::success();
  auto *Map = dyn_cast<yaml::MappingNode>(N);
  if (!Map)
    return problem(N, "'" + Key + "' must be a mapping of prefix: value");
  for (yaml::KeyValueNode &KV : *Map) {
    Expected<std::string> Prefix =
        scalar(KV.getKey(), "each prefix of '" + Key + "'");
    if (!Prefix)
      return Prefix.takeError();
    yaml::Node *ValueNode = KV.getValue();
    Expected<std::string> Text =
        scalar(ValueNode, "the value of '" + *Prefix + "' in '" + Key + "'");
    if (!Text)
      return Text.takeError();
    std::optional<T> Value = ParseOne(*Text);
    if (!Value)
      return problem(ValueNode, "bad value '" + *Text + "' for '" + *Prefix +
                                    "' in '" + Key + "'");
    Out.emplace_back(*Prefix, *Value);
  }
  return Error::success();
}

static std::optional<std::string> parseDepartment(StringRef Text) {
  if (Text.empty() || Text.size() > abi::MAX_DEPARTMENT_BYTES)
    return std::nullopt;
  return Text.str();
}

static std::optional<unsigned> parseWeight(StringRef Text) {
  unsigned Value;
  if (Text.getAsInteger(10, Value) || Value > abi::MAX_WEIGHT)
    return std::nullopt;
  return Value;
}

Error ConfigParser::parseTop(yaml::Node *Root, Config &C) {
  if (!Root || isa<yaml::NullNode>(Root))
    return Error::success(); // an empty file: the defaults
  auto *Top = dyn_cast<yaml::MappingNode>(Root);
  if (!Top)
    return problem(Root, "expected a mapping with include, exclude, "
                         "departments, weights or errors");
  StringSet<> Seen;
  for (yaml::KeyValueNode &KV : *Top) {
    Expected<std::string> Key = scalar(KV.getKey(), "a key");
    if (!Key)
      return Key.takeError();
    if (!Seen.insert(*Key).second)
      return problem(KV.getKey(), "duplicate key '" + *Key + "'");
    yaml::Node *Value = KV.getValue();
    Error E = Error::success();
    if (*Key == "include")
      E = parseGlobs(Value, *Key, C.Include);
    else if (*Key == "exclude")
      E = parseGlobs(Value, *Key, C.Exclude);
    else if (*Key == "departments")
      E = parseMap(Value, *Key, C.Departments, parseDepartment);
    else if (*Key == "weights")
      E = parseMap(Value, *Key, C.Weights, parseWeight);
    else if (*Key == "errors")
      E = parseMap(Value, *Key, C.Errors, parseErrorConvention);
    else if (*Key == "trivial_instructions")
      E = parseCount(Value, *Key, C.TrivialInstructions);
    else if (*Key == "untimed_instructions")
      E = parseCount(Value, *Key, C.UntimedInstructions);
    else if (*Key == "untimed_inlined_instructions")
      E = parseCount(Value, *Key, C.UntimedInlinedInstructions);
    else
      return problem(KV.getKey(),
                     "unknown key '" + *Key +
                         "' (expected include, exclude, departments, "
                         "weights, errors, trivial_instructions, "
                         "untimed_instructions or "
                         "untimed_inlined_instructions)");
    if (E)
      return E;
  }
  return Error::success();
}

Expected<Config> loadConfig(StringRef File) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> Buffer = MemoryBuffer::getFile(File);
  if (!Buffer)
    return createStringError(Buffer.getError(), "%s: cannot read: %s",
                             File.str().c_str(),
                             Buffer.getError().message().c_str());

  Config C;
  C.File = File.str();
  SmallString<256> Root(sys::path::parent_path(File));
  sys::fs::make_absolute(Root);
  sys::path::remove_dots(Root, true);
  C.Root = std::string(Root.str());

  // The YAML parser reports syntax errors through the SourceMgr; keep the
  // first one instead of letting it print.
  SourceMgr SM;
  std::string SyntaxError;
  SM.setDiagHandler(
      [](const SMDiagnostic &D, void *Context) {
        auto *Out = static_cast<std::string *>(Context);
        if (Out->empty())
          *Out = (Twine(D.getLineNo()) + ":" + Twine(D.getColumnNo() + 1) +
                  ": " + D.getMessage())
                     .str();
      },
      &SyntaxError);

  yaml::Stream Stream((*Buffer)->getBuffer(), SM);
  ConfigParser Parser(File, SM);
  unsigned Documents = 0;
  for (yaml::Document &Doc : Stream) {
    if (++Documents > 1)
      return createStringError(inconvertibleErrorCode(),
                               "%s: only one YAML document is allowed",
                               File.str().c_str());
    if (Error E = Parser.parseTop(Doc.getRoot(), C)) {
      if (!SyntaxError.empty()) { // the tree was cut short by a syntax error
        consumeError(std::move(E));
        break;
      }
      return Expected<Config>(std::move(E));
    }
    Doc.skip();
  }
  if (Stream.failed() || !SyntaxError.empty())
    return createStringError(
        inconvertibleErrorCode(), "%s:%s", File.str().c_str(),
        SyntaxError.empty() ? " malformed YAML" : SyntaxError.c_str());
  return C;
}

} // namespace codensm
