// SPDX-License-Identifier: Apache-2.0
//===- main.cpp - codensm-rewrite: instrument C and C++ source ----------===//
//
// Prints FILE with CodeNSM's probes in it, for any compiler to build
// (codensm-gcc and codensm-g++ compile it with GCC):
//
//   codensm-rewrite FILE -- FLAGS...        the flags FILE is compiled with
//   codensm-rewrite -p BUILD_DIR FILE       from compile_commands.json
//   codensm-rewrite -o OUT FILE -- FLAGS    into OUT instead of stdout
//   codensm-rewrite -header-dir=DIR ...     the project's headers too, each
//                                           into DIR/<its absolute path>
//   codensm-rewrite -codensm-one-row-per-template ...
//                                           a template's instances in one
//                                           row (Instances.h)
//
// The flags may be GCC's: clang parses the file only to find its
// functions, so warnings are silenced and options clang does not know are
// dropped.  Exit status 1 when the file cannot be instrumented (the
// wrapper then compiles the original, with one warning).
//
//===----------------------------------------------------------------------===//
#include "Instrumenter.h"

#include "clang/Driver/Options.h"
#include "clang/Frontend/FrontendActions.h"
#include "clang/Tooling/ArgumentsAdjusters.h"
#include "clang/Tooling/CommonOptionsParser.h"
#include "clang/Tooling/Tooling.h"
#include "llvm/Option/ArgList.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <set>

using namespace clang::tooling;
using namespace codensm::rewrite;

static llvm::cl::OptionCategory Category("codensm-rewrite options");
static llvm::cl::opt<std::string>
    ClOutput("o", llvm::cl::desc("Write the instrumented file here"),
             llvm::cl::value_desc("file"), llvm::cl::cat(Category));
static llvm::cl::opt<std::string>
    ClConfig("codensm-config",
             llvm::cl::desc("Use this .codensm.yaml instead of searching"),
             llvm::cl::value_desc("path"), llvm::cl::cat(Category));
static llvm::cl::opt<std::string> ClHeaderDir(
    "header-dir",
    llvm::cl::desc("Instrument the project's headers too, writing their "
                   "copies under this directory (Headers.h)"),
    llvm::cl::value_desc("dir"), llvm::cl::cat(Category));
static llvm::cl::opt<std::string> ClDepartment(
    "codensm-department",
    llvm::cl::desc("Department of every function (annotations still win)"),
    llvm::cl::cat(Category));

static llvm::cl::opt<bool> ClOneRowPerTemplate(
    "codensm-one-row-per-template",
    llvm::cl::desc("One row for all the instances of a template: the probe "
                   "names no instance (codensm-gcc's retry for a file GCC "
                   "sees differently from clang)"),
    llvm::cl::cat(Category));

static llvm::cl::opt<std::string> ClTlsModel(
    "codensm-tls-model",
    llvm::cl::desc("dynamic (default) or initial-exec: the TLS model of the "
                   "unit's thread-local home, as the plugin's option"),
    llvm::cl::init("dynamic"), llvm::cl::cat(Category));

/// GCC's options that clang's driver does not know (-fno-tree-vrp,
/// -fanalyzer, ...) are dropped, and so are GCC plugins: clang parses the
/// file only to find its functions.
static CommandLineArguments dropForeignFlags(const CommandLineArguments &Args,
                                             llvm::StringRef) {
  std::vector<const char *> Raw;
  for (size_t I = 1; I < Args.size(); ++I)
    Raw.push_back(Args[I].c_str());
  unsigned MissingIndex = 0, MissingCount = 0;
  llvm::opt::InputArgList Parsed = clang::driver::getDriverOptTable().ParseArgs(
      Raw, MissingIndex, MissingCount);
  std::set<std::string> Unknown;
  for (const llvm::opt::Arg *A :
       Parsed.filtered(clang::driver::options::OPT_UNKNOWN))
    Unknown.insert(A->getAsString(Parsed));
  CommandLineArguments Out;
  for (const std::string &Arg : Args)
    if (!Unknown.count(Arg) && llvm::StringRef(Arg).find("-fplugin") != 0)
      Out.push_back(Arg);
  return Out;
}

namespace {
class Factory : public FrontendActionFactory {
public:
  Factory(const RewriteOptions &Options, std::string &Output)
      : Options(Options), Output(Output) {}
  std::unique_ptr<clang::FrontendAction> create() override {
    return std::make_unique<InstrumentAction>(Options, Output);
  }

private:
  const RewriteOptions &Options;
  std::string &Output;
};
} // namespace

int main(int argc, const char **argv) {
  auto Parser =
      CommonOptionsParser::create(argc, argv, Category, llvm::cl::Required);
  if (!Parser) {
    llvm::errs() << llvm::toString(Parser.takeError());
    return 2;
  }
  const std::vector<std::string> &Sources = Parser->getSourcePathList();
  if (Sources.size() != 1) {
    llvm::errs() << "codensm-rewrite: one file at a time\n";
    return 2;
  }
  // libTooling takes "./" off a path and makes ".//d/a.c" the absolute
  // "/d/a.c" (zstd's Makefile names its sources so): it gets the path
  // without dots and doubled separators.  The file keeps its own spelling
  // everywhere else (its #line, so __FILE__ and assert's messages).
  llvm::SmallString<256> ToParse(Sources.front());
  llvm::sys::path::remove_dots(ToParse, /*remove_dot_dot=*/false);
  ClangTool Tool(Parser->getCompilations(), {std::string(ToParse)});
  Tool.appendArgumentsAdjuster(dropForeignFlags);
  Tool.appendArgumentsAdjuster(
      getInsertArgumentAdjuster({"-w", "-Wno-error", "-ferror-limit=1",
                                 "-resource-dir=" CODENSM_CLANG_RESOURCE_DIR},
                                ArgumentInsertPosition::END));

  if (ClTlsModel != "dynamic" && ClTlsModel != "initial-exec") {
    llvm::errs() << "codensm-rewrite: -codensm-tls-model=" << ClTlsModel
                 << ": dynamic or initial-exec\n";
    return 2;
  }
  RewriteOptions Options{Sources.front(),
                         ClConfig,
                         ClDepartment,
                         ClHeaderDir,
                         ClTlsModel == "initial-exec",
                         ClOneRowPerTemplate};
  std::string Output;
  Factory Actions(Options, Output);
  if (Tool.run(&Actions) != 0 || Output.empty()) {
    llvm::errs() << "codensm-rewrite: cannot instrument " << Sources.front()
                 << "\n";
    return 1;
  }
  if (ClOutput.empty()) {
    llvm::outs() << Output;
    return 0;
  }
  std::error_code EC;
  llvm::raw_fd_ostream Out(ClOutput, EC, llvm::sys::fs::OF_None);
  if (EC) {
    llvm::errs() << "codensm-rewrite: " << ClOutput << ": " << EC.message()
                 << "\n";
    return 1;
  }
  Out << Output;
  return 0;
}
