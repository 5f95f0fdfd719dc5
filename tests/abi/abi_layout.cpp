// SPDX-License-Identifier: Apache-2.0
//===- abi_layout.cpp - the pass and the runtime agree on every layout
//-----===//
//
// The pass builds its tables from plugin/Abi.h's LLVM types, the runtime
// reads them through include/codensm_abi.h's C structs; both come from
// include/codensm_abi.inc.  This program lays the LLVM types out with the
// host's data layout and compares every field's offset and every struct's
// size with the C compiler's offsetof and sizeof, and the entry points'
// LLVM signatures with the C prototypes' arity.  Prints one line per
// mismatch and exits 1; prints the count of fields checked otherwise.
//
//===----------------------------------------------------------------------===//
#include "Abi.h"
#include "codensm_abi.h"

#include "llvm/IR/DataLayout.h"
#include "llvm/IR/LLVMContext.h"

#include <cstddef>
#include <cstdio>
#include <string>

using namespace llvm;

// The host's layout (x86-64 and AArch64 Linux: what the runtime is built for).
static const char *const HostLayout =
#if defined(__x86_64__)
    "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-f80:128-n8:16:32:64-S128";
#elif defined(__aarch64__)
    "e-m:e-i8:8:32-i16:16:32-i64:64-i128:128-n32:64-S128";
#else
    "";
#endif

static int Failures = 0, Checked = 0;

/// Parameters of a C prototype.
template <typename R, typename... Args>
constexpr unsigned parameterCount(R (*)(Args...)) {
  return sizeof...(Args);
}

static void expectSame(const std::string &What, uint64_t Llvm, uint64_t C) {
  ++Checked;
  if (Llvm == C)
    return;
  std::printf("MISMATCH %s: LLVM %llu, C %llu\n", What.c_str(),
              (unsigned long long)Llvm, (unsigned long long)C);
  ++Failures;
}

int main() {
  LLVMContext Ctx;
  DataLayout DL(HostLayout);

  // Every field of every structure, at the offset C gives it.
#define CNSM_ABI_FIELD(Struct, CType, Kind, Name)                              \
  expectSame(#Struct "." #Name,                                                \
             DL.getStructLayout(codensm::abi::structType(Ctx, #Struct))        \
                 ->getElementOffset(codensm::abi::field(#Struct, #Name)),      \
             offsetof(struct cnsm_##Struct, Name));
#include "codensm_abi.inc"

  // And every structure's size.
  expectSame("sizeof slot",
             DL.getTypeAllocSize(codensm::abi::structType(Ctx, "slot")),
             sizeof(struct cnsm_slot));
  expectSame(
      "sizeof function_info",
      DL.getTypeAllocSize(codensm::abi::structType(Ctx, "function_info")),
      sizeof(struct cnsm_function_info));
  expectSame("sizeof module_desc",
             DL.getTypeAllocSize(codensm::abi::structType(Ctx, "module_desc")),
             sizeof(struct cnsm_module_desc));
  expectSame("sizeof dir",
             DL.getTypeAllocSize(codensm::abi::structType(Ctx, "dir")),
             sizeof(struct cnsm_dir));
  expectSame("sizeof home",
             DL.getTypeAllocSize(codensm::abi::structType(Ctx, "home")),
             sizeof(struct cnsm_home));
  // The numbers the hot path computes offsets with.
  expectSame("SLOT_BYTES", codensm::abi::SLOT_BYTES, sizeof(struct cnsm_slot));
  expectSame("sizeof chunk_header",
             DL.getTypeAllocSize(codensm::abi::structType(Ctx, "chunk_header")),
             sizeof(struct cnsm_chunk_header));
  expectSame("CHUNK_HEADER_BYTES", codensm::abi::CHUNK_HEADER_BYTES,
             offsetof(struct cnsm_chunk, slots));
  expectSame("CHUNK_TARGETS_OFFSET", codensm::abi::CHUNK_TARGETS_OFFSET,
             offsetof(struct cnsm_chunk, next));
  expectSame("CHUNK_DEPTH_OFFSET", codensm::abi::CHUNK_DEPTH_OFFSET,
             offsetof(struct cnsm_chunk, depth));
  expectSame("CHUNK_DEPTH_OFFSET after the targets",
             codensm::abi::CHUNK_TARGETS_OFFSET + codensm::abi::CHUNK_SLOTS * 4,
             codensm::abi::CHUNK_DEPTH_OFFSET);
  expectSame("chunk",
             codensm::abi::CHUNK_DEPTH_OFFSET + codensm::abi::CHUNK_SLOTS * 2,
             sizeof(struct cnsm_chunk));

  // Every entry point has a type, with as many parameters as C declares.
#define CNSM_ABI_ENTRY(Ret, Name, Args)                                        \
  {                                                                            \
    FunctionType *Ty = codensm::abi::entryType(Ctx, #Name);                    \
    expectSame(#Name " declared", Ty != nullptr, 1);                           \
    if (Ty)                                                                    \
      expectSame(#Name " parameters", Ty->getNumParams(),                      \
                 parameterCount(Name));                                        \
  }
#include "codensm_abi.inc"

  if (Failures)
    return 1;
  std::printf("%d layout facts agree\n", Checked);
  return 0;
}
