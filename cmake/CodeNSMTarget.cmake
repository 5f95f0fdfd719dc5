# SPDX-License-Identifier: Apache-2.0
# CodeNSMTarget.cmake - target_codensm(): instrument a CMake target.
#
#   target_codensm(app [INCLUDE globs...] [EXCLUDE globs...]
#                      [DEPARTMENT name] [CONFIG file])
#
# Loads CodeNSM.so into the compilation of app's C and C++ sources (never
# its assembler or other languages) and links the runtime.  With GCC, the
# sources are instrumented by codensm-rewrite instead: codensm-gcc is app's
# C and C++ compiler launcher, and the same options reach the rewriter.
#   INCLUDE/EXCLUDE  path globs relative to app's source directory, with the
#                    rules of .codensm.yaml (`*` within a path component,
#                    `**` across them, a glob without `/` matches a name in
#                    any directory, EXCLUDE wins).  The plugin matches them,
#                    with .codensm.yaml's own matcher: each source gets the
#                    globs and its path relative to that directory
#                    (-codensm-include, -codensm-exclude,
#                    -codensm-source-path).  Call after every source has
#                    been added.
#   DEPARTMENT name  the department of every function in app
#                    (annotations and .codensm.yaml departments still win
#                    per function; see docs/configuration.md)
#   CONFIG file      this .codensm.yaml instead of the one found by walking
#                    up from each source; its directory is the root for
#                    relative paths and module names.
# Used both from the CodeNSM source tree and from an installed package.

# Checks that the enabled C and C++ compilers are clang with an installed
# plugin, or all GCC with codensm-gcc installed.  Sets out_plugin (the
# plugin, or codensm-gcc), out_major (the LLVM major, or "gcc"), or
# out_problem to a message.
function(codensm_find_plugin out_plugin out_major out_problem)
  set(${out_plugin} "" PARENT_SCOPE)
  set(${out_major} "" PARENT_SCOPE)
  set(${out_problem} "" PARENT_SCOPE)
  get_property(languages GLOBAL PROPERTY ENABLED_LANGUAGES)
  set(ids "")
  foreach(lang C CXX)
    if(lang IN_LIST languages)
      list(APPEND ids "${CMAKE_${lang}_COMPILER_ID}")
    endif()
  endforeach()
  list(REMOVE_DUPLICATES ids)
  if(ids STREQUAL "GNU")
    if(NOT CODENSM_GCC_WRAPPER OR NOT EXISTS "${CODENSM_GCC_WRAPPER}")
      set(${out_problem} "CodeNSM: the compiler is GCC, but codensm-gcc (the source rewriter) "
        "was not built or installed: it needs Clang's development files "
        "(libclang-14-dev libclang-cpp14-dev on Debian) when CodeNSM is built." PARENT_SCOPE)
      return()
    endif()
    set(${out_plugin} "${CODENSM_GCC_WRAPPER}" PARENT_SCOPE)
    set(${out_major} "gcc" PARENT_SCOPE)
    return()
  endif()
  set(major "")
  foreach(lang C CXX)
    if(NOT lang IN_LIST languages)
      continue()
    endif()
    set(id "${CMAKE_${lang}_COMPILER_ID}")
    set(compiler "${CMAKE_${lang}_COMPILER}")
    if(NOT id STREQUAL "Clang")
      string(CONCAT problem "CodeNSM: the ${lang} compiler is ${id} (${compiler}), but CodeNSM is an LLVM "
        "pass plugin that only clang can load, and the GCC path needs GCC for both C "
        "and C++.  Configure with clang, or with gcc and g++, in a new "
        "build directory:\n  cmake -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 ...")
      set(${out_problem} "${problem}" PARENT_SCOPE)
      return()
    endif()
    string(REGEX MATCH "^[0-9]+" lang_major "${CMAKE_${lang}_COMPILER_VERSION}")
    if(major AND NOT major STREQUAL lang_major)
      string(CONCAT problem "CodeNSM: the C compiler is clang ${major} but the C++ compiler is clang "
        "${lang_major}; one plugin serves one LLVM major.  Use clang and clang++ "
        "of the same version.")
      set(${out_problem} "${problem}" PARENT_SCOPE)
      return()
    endif()
    set(major "${lang_major}")
  endforeach()
  if(NOT major)
    set(${out_problem} "CodeNSM: enable C or CXX in project() before find_package(CodeNSM)"
      PARENT_SCOPE)
    return()
  endif()

  if(CODENSM_PLUGIN_IN_TREE)
    # This source tree: one plugin, built for CODENSM_LLVM_MAJOR.
    set(plugin "${CODENSM_PLUGIN}")
    set(available "${CODENSM_LLVM_MAJOR}")
    set(hint "configure this tree with -DLLVM_DIR=/usr/lib/llvm-${major}/lib/cmake/llvm")
  else()
    set(plugin "${CODENSM_PLUGIN_ROOT}/llvm-${major}/CodeNSM.so")
    file(GLOB dirs LIST_DIRECTORIES true "${CODENSM_PLUGIN_ROOT}/llvm-*")
    set(available "")
    foreach(dir ${dirs})
      if(EXISTS "${dir}/CodeNSM.so")
        get_filename_component(name "${dir}" NAME)
        string(REPLACE "llvm-" "" name "${name}")
        list(APPEND available "${name}")
      endif()
    endforeach()
    if(EXISTS "${plugin}")
      list(APPEND available "${major}")
    endif()
    set(hint "build and install CodeNSM with -DLLVM_DIR=/usr/lib/llvm-${major}/lib/cmake/llvm into the same prefix")
  endif()
  if(NOT major IN_LIST available)
    list(JOIN available ", " available)
    list(GET available 0 first)
    string(CONCAT problem "CodeNSM: the compiler is clang ${major} (${compiler}), but CodeNSM's plugin "
      "is installed only for LLVM ${available}: a plugin loads only into the clang "
      "of the LLVM major it was built for.  Either configure with that clang, in a "
      "new build directory:\n  cmake -DCMAKE_C_COMPILER=clang-${first} -DCMAKE_CXX_COMPILER=clang++-${first} ...\n"
      "or ${hint}.")
      set(${out_problem} "${problem}" PARENT_SCOPE)
    return()
  endif()
  set(${out_plugin} "${plugin}" PARENT_SCOPE)
  set(${out_major} "${major}" PARENT_SCOPE)
endfunction()

# CodeNSMFrontend.so for that LLVM major (plugin/frontend), or "" where it
# was not built (no Clang development files for that major).
function(codensm_find_frontend out_frontend major)
  set(${out_frontend} "" PARENT_SCOPE)
  if(CODENSM_PLUGIN_IN_TREE)
    if(CODENSM_FRONTEND)
      set(${out_frontend} "${CODENSM_FRONTEND}" PARENT_SCOPE)
    endif()
  elseif(EXISTS "${CODENSM_PLUGIN_ROOT}/llvm-${major}/CodeNSMFrontend.so")
    set(${out_frontend} "${CODENSM_PLUGIN_ROOT}/llvm-${major}/CodeNSMFrontend.so" PARENT_SCOPE)
  endif()
endfunction()

function(target_codensm target)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "DEPARTMENT;CONFIG" "INCLUDE;EXCLUDE")
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "target_codensm(${target}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}; "
      "expected INCLUDE globs..., EXCLUDE globs..., DEPARTMENT name, CONFIG file")
  endif()
  if(NOT TARGET ${target})
    message(FATAL_ERROR "target_codensm(${target}): no such target")
  endif()
  codensm_find_plugin(plugin major problem)
  if(problem)
    message(FATAL_ERROR "${problem}")
  endif()

  # GCC: codensm-gcc launches the compiler and rewrites each source; the
  # -mllvm -codensm-* options below go to codensm-rewrite.
  set(flags "-fpass-plugin=${plugin}")
  codensm_find_frontend(frontend "${major}")
  if(frontend AND NOT major STREQUAL "gcc")
    # The front-end half: system headers' code left out, header functions
    # named by their header without -g.  It loads CodeNSM.so early, so the
    # -mllvm options below need no other -fplugin=.
    set(flags "-fplugin=${frontend}" "-fpass-plugin=${plugin}")
    if(TARGET CodeNSMFrontend)
      add_dependencies(${target} CodeNSMFrontend)
    endif()
  elseif(major STREQUAL "gcc")
    set(flags "")
    set_target_properties(${target} PROPERTIES
      C_COMPILER_LAUNCHER "${plugin};--launcher"
      CXX_COMPILER_LAUNCHER "${plugin};--launcher")
    if(TARGET codensm-rewrite)
      add_dependencies(${target} codensm-rewrite)
    endif()
  elseif(ARG_DEPARTMENT OR ARG_CONFIG OR ARG_INCLUDE OR ARG_EXCLUDE)
    # -mllvm options of a plugin exist only once it is loaded early.
    list(APPEND flags "-fplugin=${plugin}")
  endif()
  # -mllvm and -Xclang must not be de-duplicated: CMake drops a repeated
  # option, and each such pair stays one with SHELL: (quoted: a value may
  # hold spaces).  -mno-constructor-aliases: an inline destructor with an
  # empty body is otherwise replaced by its base's from -O1 up, and its row
  # counts nothing (tools/codensm-clang.in says more).
  if(NOT major STREQUAL "gcc")
    list(APPEND flags "SHELL:-Xclang -mno-constructor-aliases")
  endif()
  if(ARG_DEPARTMENT)
    list(APPEND flags "SHELL:-mllvm \"-codensm-department=${ARG_DEPARTMENT}\"")
  endif()
  if(ARG_CONFIG)
    get_filename_component(config "${ARG_CONFIG}" ABSOLUTE)
    if(NOT EXISTS "${config}")
      message(FATAL_ERROR "target_codensm(${target}): CONFIG ${config} does not exist")
    endif()
    list(APPEND flags "SHELL:-mllvm \"-codensm-config=${config}\"")
  endif()
  # The globs are relative to the target's source directory, which the
  # plugin takes each source's path from: options of the target, not of each
  # source, so sources added later get them too and a source's own
  # COMPILE_OPTIONS cannot drop them.
  if(ARG_INCLUDE OR ARG_EXCLUDE)
    get_target_property(srcdir ${target} SOURCE_DIR)
    list(APPEND flags "SHELL:-mllvm \"-codensm-glob-root=${srcdir}\"")
  endif()
  foreach(glob ${ARG_INCLUDE})
    list(APPEND flags "SHELL:-mllvm \"-codensm-include=${glob}\"")
  endforeach()
  foreach(glob ${ARG_EXCLUDE})
    list(APPEND flags "SHELL:-mllvm \"-codensm-exclude=${glob}\"")
  endforeach()

  set(options "")
  foreach(flag ${flags})
    list(APPEND options "$<$<COMPILE_LANGUAGE:C,CXX>:${flag}>")
  endforeach()

  get_target_property(type ${target} TYPE)
  target_compile_options(${target} PRIVATE ${options})
  if(TARGET CodeNSM AND CODENSM_PLUGIN_IN_TREE AND NOT major STREQUAL "gcc")
    add_dependencies(${target} CodeNSM) # build the plugin first
  endif()
  if(NOT type STREQUAL "OBJECT_LIBRARY" AND NOT type STREQUAL "INTERFACE_LIBRARY")
    # What target_link_libraries(PRIVATE) records, written to the
    # properties: CMake lets a target use only one of its signatures, and
    # projects still use the plain one (re2's tests), so either call, before
    # or after this one, stopped the configuration.
    set_property(TARGET ${target} APPEND PROPERTY LINK_LIBRARIES
      CodeNSM::codensm)
    if(type STREQUAL "STATIC_LIBRARY")
      set_property(TARGET ${target} APPEND PROPERTY INTERFACE_LINK_LIBRARIES
        "$<LINK_ONLY:CodeNSM::codensm>")
    endif()
  else()
    target_include_directories(${target} PRIVATE
      $<TARGET_PROPERTY:CodeNSM::codensm,INTERFACE_INCLUDE_DIRECTORIES>)
  endif()
endfunction()
