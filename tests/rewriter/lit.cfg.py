# lit configuration for codensm-rewrite's tests: what the rewriter inserts,
# where, and the #line that keeps the user's positions.
#
# Substitutions:
#   %rewrite     codensm-rewrite under test
#   %gcc, %gxx   codensm-gcc and codensm-g++ beside it
#   %include     the include/ folder (codensm.h, codensm_abi.h)
#   %FileCheck, %not   LLVM's
import os
import lit.formats

config.name = "codensm-rewrite"
config.test_format = lit.formats.ShTest(True)
config.suffixes = [".c", ".cpp", ".test"]
config.excludes = ["Inputs"]

tools = config.llvm_tools_dir
config.substitutions.append(("%rewrite", os.path.join(config.bin_dir, "codensm-rewrite")))
config.substitutions.append(("%gxx", os.path.join(config.bin_dir, "codensm-g++")))
config.substitutions.append(("%gcc", os.path.join(config.bin_dir, "codensm-gcc")))
config.substitutions.append(("%include", os.path.join(config.codensm_source_dir, "include")))
config.substitutions.append(("%FileCheck", os.path.join(tools, "FileCheck")))
config.substitutions.append(("%not", os.path.join(tools, "not")))
