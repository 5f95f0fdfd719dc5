# lit configuration for the CodeNSM pass tests.
#
# Substitutions:
#   %plugin      the CodeNSM.so under test
#   %clang       clang of the same LLVM major, with -fpass-plugin=%plugin
#   %clang_cc    the same clang without the plugin
#   %clangxx_fe  clang++ with CodeNSMFrontend.so too (-fplugin=), where the
#                build has it (Clang's development files): tests that need
#                it are not part of a build without it; %clang_fe the same
#                for C
#   %opt         opt of the same LLVM major, with the plugin loaded both ways
#                (-load for its options, -load-pass-plugin for the pass)
#   %include     the include/ folder (codensm.h)
import os
import lit.formats

config.name = "CodeNSM"
config.test_format = lit.formats.ShTest(True)
config.suffixes = [".c", ".cpp", ".ll", ".test"]
config.excludes = ["Inputs"]

tools = config.llvm_tools_dir
clang = os.path.join(tools, "clang")
include = os.path.join(config.codensm_source_dir, "include")
config.substitutions.append(("%clang_cc", clang))
if config.codensm_frontend:
    config.substitutions.append(("%clangxx_fe", clang + "++ -fplugin=" + config.codensm_frontend +
                                 " -fpass-plugin=" + config.codensm_plugin + " -I" + include))
    config.substitutions.append(("%clang_fe", clang + " -fplugin=" + config.codensm_frontend +
                                 " -fpass-plugin=" + config.codensm_plugin + " -I" + include))
else:
    config.excludes.extend(["source-facts.cpp", "fortified.c"])
config.substitutions.append(("%clangxx", clang + "++ -fpass-plugin=" + config.codensm_plugin + " -I" + include))
config.substitutions.append(("%clang", clang + " -fpass-plugin=" + config.codensm_plugin + " -I" + include))
config.substitutions.append(("%opt", os.path.join(tools, "opt") +
                             " -load=" + config.codensm_plugin +
                             " -load-pass-plugin=" + config.codensm_plugin))
config.substitutions.append(("%plugin", config.codensm_plugin))
config.substitutions.append(("%include", include))
config.substitutions.append(("%FileCheck", os.path.join(tools, "FileCheck")))
config.substitutions.append(("%llvm_dis", os.path.join(tools, "llvm-dis")))
config.substitutions.append(("%not", os.path.join(tools, "not")))
config.available_features.add("llvm" + config.llvm_major)
if int(config.llvm_major) >= 15:
    config.available_features.add("opaque-pointers")
