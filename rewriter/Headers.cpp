// SPDX-License-Identifier: Apache-2.0
//===- Headers.cpp - the project's headers a unit includes, rewritten -----===//
#include "Headers.h"
#include "Naming.h"
#include "ProbeText.h"

#include "clang/AST/Stmt.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

using namespace clang;

namespace codensm {
namespace rewrite {

/// Whether Path is Dir or below it (both absolute and normalised).
static bool isUnder(llvm::StringRef Path, llvm::StringRef Dir) {
  return Path.startswith(Dir) && (Path.size() == Dir.size() ||
                                  Dir.endswith("/") || Path[Dir.size()] == '/');
}

ProjectHeaders::ProjectHeaders(const SourceManager &SM, const HeaderSearch &HS,
                               llvm::function_ref<bool(llvm::StringRef)> Owns)
    : SM(SM) {
  std::vector<std::string> SystemDirs;
  for (auto D = HS.system_dir_begin(); D != HS.system_dir_end(); ++D)
    if (D->isNormalDir())
      SystemDirs.push_back(absolutePath(D->getDir()->getName()));
  llvm::StringMap<unsigned> Seen; // path -> its index in Headers
  for (unsigned I = 1; I < SM.local_sloc_entry_size(); ++I) {
    const SrcMgr::SLocEntry &Entry = SM.getLocalSLocEntry(I);
    // Not the file's characteristic: a header that says `#pragma GCC
    // system_header` makes the headers it includes after it system ones
    // for clang (every header of capnproto's KJ does), and those were not
    // copied, so GCC read their originals, which included the originals of
    // headers that were copied: #pragma once took them for other files,
    // and GCC refused the unit.  The system directories are what tell.
    if (!Entry.isFile() || Entry.getFile().getIncludeLoc().isInvalid())
      continue;
    FileID ID = SM.getFileID(SourceLocation::getFromRawEncoding(
        static_cast<SourceLocation::UIntTy>(Entry.getOffset())));
    llvm::Optional<FileEntryRef> File = SM.getFileEntryRefForID(ID);
    if (!File || ID == SM.getMainFileID())
      continue;
    std::string Path = absolutePath(File->getName());
    bool System = false;
    for (const std::string &Dir : SystemDirs)
      System |= isUnder(Path, Dir);
    // A header that goes on with #include_next is left as it is: its copy,
    // first on GCC's path, would go on with the original of itself, whose
    // include guard then hides the header it meant (gnulib's wrappers), and
    // GCC refused the whole unit.
    if (System || !Owns(Path) || SM.getBufferData(ID).contains("include_next"))
      continue;
    auto [Earlier, First] = Seen.try_emplace(Path, Headers.size());
    if (!First) {
      LaterEntries[ID] = Earlier->second;
      continue;
    }
    Index[ID] = Headers.size();
    Headers.push_back({ID, Path});
  }
}

void ProjectHeaders::refuseReenteredDefinitions(
    llvm::ArrayRef<const FunctionDecl *> Functions) {
  if (LaterEntries.empty())
    return;
  for (const FunctionDecl *FD : Functions) {
    if (!FD->doesThisDeclarationHaveABody() || !FD->getBody())
      continue;
    FileID ID = SM.getFileID(SM.getExpansionLoc(FD->getBody()->getBeginLoc()));
    auto Later = LaterEntries.find(ID);
    if (Later != LaterEntries.end())
      Index.erase(Headers[Later->second].First);
  }
}

bool ProjectHeaders::rewritable(SourceLocation Loc) const {
  FileID ID = SM.getFileID(Loc);
  return ID == SM.getMainFileID() || Index.count(ID);
}

llvm::Error ProjectHeaders::write(const Rewriter &R,
                                  llvm::StringRef Dir) const {
  for (const Header &H : Headers) {
    llvm::SmallString<256> Copy(Dir);
    llvm::sys::path::append(Copy, H.Path);
    if (std::error_code EC = llvm::sys::fs::create_directories(
            llvm::sys::path::parent_path(Copy)))
      return llvm::createStringError(EC, "%s: %s", Copy.c_str(),
                                     EC.message().c_str());
    std::error_code EC;
    llvm::raw_fd_ostream Out(Copy, EC, llvm::sys::fs::OF_None);
    if (EC)
      return llvm::createStringError(EC, "%s: %s", Copy.c_str(),
                                     EC.message().c_str());
    // The name GCC would have given the original (__FILE__, messages).
    PresumedLoc Start = SM.getPresumedLoc(SM.getLocForStartOfFile(H.First));
    Out << "#line 1 " << cString(Start.getFilename()) << "\n";
    if (const RewriteBuffer *Buffer = R.getRewriteBufferFor(H.First))
      Out << std::string(Buffer->begin(), Buffer->end());
    else
      Out << SM.getBufferData(H.First);
  }
  return llvm::Error::success();
}

} // namespace rewrite
} // namespace codensm
