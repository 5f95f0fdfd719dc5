# SPDX-License-Identifier: Apache-2.0
# CodeNSMTarget.cmake - target_codensm(): instrument a CMake target.
#
#   target_codensm(app [INCLUDE globs...] [EXCLUDE globs...]
#                      [DEPARTMENT name] [CONFIG file])
#
# Loads CodeNSM.so into the compilation of app's C and C++ sources (never
# its assembler or other languages) and links the runtime.
#   INCLUDE/EXCLUDE  path globs relative to app's source directory, with the
#                    rules of .codensm.yaml (`*` within a path component,
#                    `**` across them, a glob without `/` matches a name in
#                    any directory, EXCLUDE wins); only matching sources get
#                    the plugin.  Call after every source has been added.
#   DEPARTMENT name  the department of every function in app
#                    (annotations and .codensm.yaml departments still win
#                    per function; see docs/configuration.md)
#   CONFIG file      this .codensm.yaml instead of the one found by walking
#                    up from each source; its directory is the root for
#                    relative paths and module names.
# Used both from the CodeNSM source tree and from an installed package.

# Checks that the enabled C and C++ compilers are clang with an installed
# plugin.  Sets out_plugin, out_major, or out_problem to a message.
function(codensm_find_plugin out_plugin out_major out_problem)
  set(${out_plugin} "" PARENT_SCOPE)
  set(${out_major} "" PARENT_SCOPE)
  set(${out_problem} "" PARENT_SCOPE)
  get_property(languages GLOBAL PROPERTY ENABLED_LANGUAGES)
  set(major "")
  foreach(lang C CXX)
    if(NOT lang IN_LIST languages)
      continue()
    endif()
    set(id "${CMAKE_${lang}_COMPILER_ID}")
    set(compiler "${CMAKE_${lang}_COMPILER}")
    if(NOT id STREQUAL "Clang")
      string(CONCAT problem "CodeNSM: the ${lang} compiler is ${id} (${compiler}), but CodeNSM is an LLVM "
        "pass plugin that only clang can load.  Configure with clang, in a new "
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

# Turns a .codensm.yaml-style path glob into an anchored regular expression.
function(_codensm_glob_regex glob out)
  string(REGEX REPLACE "^(\\./)+" "" glob "${glob}")
  string(REGEX REPLACE "^/+" "" glob "${glob}")
  string(REGEX REPLACE "/+$" "" glob "${glob}")
  if(NOT glob MATCHES "/")
    set(glob "**/${glob}")
  endif()
  # Escape regex characters, then map the glob's own.
  string(REGEX REPLACE "([][.+()^$|\\\\])" "\\\\\\1" re "${glob}")
  string(REPLACE "**/" "<DSS>" re "${re}")
  string(REPLACE "**" "<DS>" re "${re}")
  string(REPLACE "*" "[^/]*" re "${re}")
  string(REPLACE "?" "[^/]" re "${re}")
  string(REPLACE "<DSS>" "(.*/)?" re "${re}")
  string(REPLACE "<DS>" ".*" re "${re}")
  # Like .gitignore, a glob naming a directory covers what is in it.
  set(${out} "^${re}(/.*)?$" PARENT_SCOPE)
endfunction()

# True in out when rel (a path relative to the target's source dir) matches
# one of the globs.
function(_codensm_matches rel out)
  set(${out} FALSE PARENT_SCOPE)
  foreach(glob ${ARGN})
    _codensm_glob_regex("${glob}" re)
    if(rel MATCHES "${re}")
      set(${out} TRUE PARENT_SCOPE)
      return()
    endif()
  endforeach()
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

  set(flags "-fpass-plugin=${plugin}")
  if(ARG_DEPARTMENT OR ARG_CONFIG)
    # -mllvm options of a plugin exist only once it is loaded early.
    list(APPEND flags "-fplugin=${plugin}")
  endif()
  # -mllvm must not be de-duplicated: each comes in one list with its value.
  if(ARG_DEPARTMENT)
    list(APPEND flags "-mllvm$<SEMICOLON>-codensm-department=${ARG_DEPARTMENT}")
  endif()
  if(ARG_CONFIG)
    get_filename_component(config "${ARG_CONFIG}" ABSOLUTE)
    if(NOT EXISTS "${config}")
      message(FATAL_ERROR "target_codensm(${target}): CONFIG ${config} does not exist")
    endif()
    list(APPEND flags "-mllvm$<SEMICOLON>-codensm-config=${config}")
  endif()

  set(options "")
  foreach(flag ${flags})
    list(APPEND options "$<$<COMPILE_LANGUAGE:C,CXX>:${flag}>")
  endforeach()

  get_target_property(type ${target} TYPE)
  if(NOT ARG_INCLUDE AND NOT ARG_EXCLUDE)
    target_compile_options(${target} PRIVATE ${options})
  else()
    # Only the matching sources, and only when they are compiled for target.
    get_target_property(srcdir ${target} SOURCE_DIR)
    get_target_property(sources ${target} SOURCES)
    set(scoped "")
    foreach(option ${options})
      list(APPEND scoped "$<$<STREQUAL:$<TARGET_PROPERTY:NAME>,${target}>:${option}>")
    endforeach()
    set(matched 0)
    foreach(source ${sources})
      if(source MATCHES "\\$<")
        continue() # generator expressions: not known until generation
      endif()
      get_filename_component(abs "${source}" ABSOLUTE BASE_DIR "${srcdir}")
      file(RELATIVE_PATH rel "${srcdir}" "${abs}")
      set(included TRUE)
      if(ARG_INCLUDE)
        _codensm_matches("${rel}" included ${ARG_INCLUDE})
      endif()
      if(included AND ARG_EXCLUDE)
        _codensm_matches("${rel}" excluded ${ARG_EXCLUDE})
        if(excluded)
          set(included FALSE)
        endif()
      endif()
      if(included)
        set_property(SOURCE "${abs}" DIRECTORY "${srcdir}"
          APPEND PROPERTY COMPILE_OPTIONS ${scoped})
        math(EXPR matched "${matched} + 1")
      endif()
    endforeach()
    if(matched EQUAL 0)
      message(WARNING "target_codensm(${target}): INCLUDE/EXCLUDE leave no source "
        "instrumented (globs are relative to ${srcdir})")
    endif()
  endif()

  if(TARGET CodeNSM AND CODENSM_PLUGIN_IN_TREE)
    add_dependencies(${target} CodeNSM) # build the plugin first
  endif()
  if(NOT type STREQUAL "OBJECT_LIBRARY" AND NOT type STREQUAL "INTERFACE_LIBRARY")
    target_link_libraries(${target} PRIVATE CodeNSM::codensm)
  else()
    target_include_directories(${target} PRIVATE
      $<TARGET_PROPERTY:CodeNSM::codensm,INTERFACE_INCLUDE_DIRECTORIES>)
  endif()
endfunction()
