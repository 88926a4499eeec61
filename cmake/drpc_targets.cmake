# Helpers that keep the per-folder CMakeLists short.
#
# Backends: library code above `rt` is compiled once per backend from the
# same sources: against the OS backend on fibers (<name>_os), the simulator
# backend (<name>_sim) and, with DRPC_BUILD_THREADS_BACKEND, the thread
# backend (<name>_threads, for benchmarks that compare the two OS backends),
# the way loom compiles a crate with and without cfg(loom). Two flavours
# must never be linked into one binary.
#
# Include paths: src/ never includes sim/ (docs/rt.md). A library built from
# src/ has only src/ as its include root, so `#include "sim/..."` does not
# compile there; everything else (sim/, tests/, properties/, fuzz/, bench/)
# also has the repo root. The ctest tests src_boundary.* check both halves.

set(DRPC_SOURCE_ROOT ${PROJECT_SOURCE_DIR})

# drpc_set_include_roots(<target>): gives a library defined in the current
# folder its PUBLIC include roots: src/ alone for a folder under src/ (and
# records the target for the boundary check), src/ and the repo root
# elsewhere.
function(drpc_set_include_roots target)
  set(src_root ${DRPC_SOURCE_ROOT}/src)
  cmake_path(IS_PREFIX src_root "${CMAKE_CURRENT_SOURCE_DIR}" NORMALIZE in_src)
  # Installed, every header sits under <prefix>/include (cmake/drpc_install.cmake).
  if(in_src)
    target_include_directories(${target} PUBLIC $<BUILD_INTERFACE:${DRPC_SOURCE_ROOT}/src>
                                                $<INSTALL_INTERFACE:include>)
    drpc_mark_src_library(${target})
  else()
    target_include_directories(${target} PUBLIC $<BUILD_INTERFACE:${DRPC_SOURCE_ROOT}/src>
                                                $<BUILD_INTERFACE:${DRPC_SOURCE_ROOT}>
                                                $<INSTALL_INTERFACE:include>)
  endif()
endfunction()

# drpc_mark_src_library(<target>): records a library built from src/, for the
# boundary check (cmake/src_boundary.cmake). drpc_set_include_roots calls it;
# a src library made with plain add_library (drpc_rt_os) calls it itself.
function(drpc_mark_src_library target)
  set_property(GLOBAL APPEND PROPERTY DRPC_SRC_LIBRARIES ${target})
endfunction()

# drpc_library(<name> SOURCES ... [DEPS ...])
# A library that does not touch `rt` (pure code, or the simulator core).
function(drpc_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  drpc_set_include_roots(${name})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
endfunction()

# drpc_backend_library(<name> SOURCES ... [DEPS ...] [BACKEND_DEPS ...])
# Creates <name>_os and <name>_sim (and <name>_threads when
# DRPC_BUILD_THREADS_BACKEND is ON). BACKEND_DEPS are base names of other
# backend libraries (drpc_rt, drpc_stream, ...); each flavour links the
# matching flavour of them. DEPS are linked as given.
function(drpc_backend_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;BACKEND_DEPS" ${ARGN})
  set(backends os sim)
  if(DRPC_BUILD_THREADS_BACKEND)
    list(APPEND backends threads)
  endif()
  foreach(backend ${backends})
    set(deps ${ARG_DEPS})
    foreach(dep ${ARG_BACKEND_DEPS})
      list(APPEND deps ${dep}_${backend})
    endforeach()
    add_library(${name}_${backend} STATIC ${ARG_SOURCES})
    drpc_set_include_roots(${name}_${backend})
    target_link_libraries(${name}_${backend} PUBLIC ${deps})
  endforeach()
endfunction()

# drpc_test(<name> LABEL <label> SOURCES ... [DEPS ...] [TIMEOUT s])
# A GoogleTest (and RapidCheck) executable; each TEST becomes a ctest test
# carrying <label> (unit, property, fuzz, sim or tsan).
function(drpc_test name)
  cmake_parse_arguments(ARG "" "LABEL;TIMEOUT" "SOURCES;DEPS" ${ARGN})
  if(NOT ARG_LABEL)
    message(FATAL_ERROR "drpc_test(${name}) needs a LABEL")
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  # The tsan preset runs only the OS-backend concurrency tests (label tsan);
  # everything else is left out of its build.
  if(DRPC_FLAVOR STREQUAL "tsan" AND NOT ARG_LABEL STREQUAL "tsan")
    return()
  endif()
  add_executable(${name} ${ARG_SOURCES})
  # Tests of the OS backends fail in seconds when stuck (tests/common/watchdog.h).
  if(ARG_DEPS MATCHES "_(os|threads)(;|$)")
    target_sources(${name} PRIVATE ${DRPC_SOURCE_ROOT}/tests/common/watchdog.cc)
  endif()
  target_include_directories(${name} PRIVATE ${DRPC_SOURCE_ROOT}/src ${DRPC_SOURCE_ROOT})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest_main GTest::gmock rapidcheck_gtest)
  # PRE_TEST: list the tests when ctest runs, not at build time, so a build
  # never depends on a sanitizer runtime starting on the build host.
  # The OS-backend concurrency tests (label tsan) run the fiber runtime on
  # 4 workers whatever the machine's cores, so wakes race across threads.
  set(environment "")
  if(ARG_LABEL STREQUAL "tsan")
    set(environment ENVIRONMENT DRPC_RT_WORKERS=4)
  endif()
  gtest_discover_tests(${name}
    DISCOVERY_MODE PRE_TEST
    DISCOVERY_TIMEOUT 60
    PROPERTIES LABELS ${ARG_LABEL} TIMEOUT ${ARG_TIMEOUT} ${environment})
endfunction()

# drpc_fuzz_target(<name> SOURCES ... [DEPS ...] CORPUS <dir>)
# In the fuzz flavour: a libFuzzer binary <name>. In every other flavour: a
# replay binary <name>_replay (fuzz/replay_main.cc, no libFuzzer) and a ctest
# test, label `fuzz`, that runs every file of <dir> through the target.
function(drpc_fuzz_target name)
  cmake_parse_arguments(ARG "" "CORPUS" "SOURCES;DEPS" ${ARGN})
  if(DRPC_FLAVOR STREQUAL "fuzz")
    set(exe ${name})
    add_executable(${exe} ${ARG_SOURCES})
    target_link_options(${exe} PRIVATE -fsanitize=fuzzer)
    # scripts/test reads build/fuzz/fuzz_targets.txt to run each target.
    set_property(GLOBAL APPEND PROPERTY DRPC_FUZZ_TARGETS "${name} $<TARGET_FILE:${name}> ${ARG_CORPUS}")
  else()
    set(exe ${name}_replay)
    add_executable(${exe} ${ARG_SOURCES} ${DRPC_SOURCE_ROOT}/fuzz/replay_main.cc)
    if(DRPC_BUILD_TESTS)
      add_test(NAME fuzz_corpus.${name} COMMAND ${exe} ${ARG_CORPUS})
      set_tests_properties(fuzz_corpus.${name} PROPERTIES LABELS fuzz TIMEOUT 600)
    endif()
  endif()
  target_link_libraries(${exe} PRIVATE ${ARG_DEPS})
  target_include_directories(${exe} PRIVATE ${DRPC_SOURCE_ROOT}/src ${DRPC_SOURCE_ROOT})
endfunction()

# drpc_regression_tests(<prefix> <dir>): a ctest test <prefix>.<name>
# (label sim) per <dir>/*.regression, a regression corpus entry
# (corpus/sim/README.md) checked by `sim_regression FILE`: its seed must end
# as expected, and with its plant on must fail as recorded. Outcome and
# invariant only, never a trace hash (that is the determinism test's job).
# Not in the tsan flavour, which builds only tsan-labelled tests.
function(drpc_regression_tests prefix dir)
  if(DRPC_FLAVOR STREQUAL "tsan")
    return()
  endif()
  file(GLOB entries CONFIGURE_DEPENDS ${dir}/*.regression)
  foreach(entry IN LISTS entries)
    get_filename_component(entry_name ${entry} NAME_WE)
    add_test(NAME ${prefix}.${entry_name} COMMAND sim_regression ${entry})
    set_tests_properties(${prefix}.${entry_name} PROPERTIES LABELS sim TIMEOUT 120)
  endforeach()
endfunction()

# drpc_add_component_dirs(): add_subdirectory() for every child folder that
# has a CMakeLists.txt, in sorted order. Components own their own build file.
macro(drpc_add_component_dirs)
  file(GLOB _drpc_children LIST_DIRECTORIES true RELATIVE ${CMAKE_CURRENT_SOURCE_DIR}
       ${CMAKE_CURRENT_SOURCE_DIR}/*)
  list(SORT _drpc_children)
  foreach(_drpc_child IN LISTS _drpc_children)
    if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${_drpc_child}/CMakeLists.txt)
      add_subdirectory(${_drpc_child})
    endif()
  endforeach()
endmacro()

# The check that src/ never includes sim/, added once every folder is read
# (deferred to the end of the top-level CMakeLists.txt, when the list of src
# libraries is complete): cmake/src_boundary.cmake.
if(DRPC_BUILD_TESTS AND NOT DRPC_FLAVOR STREQUAL "tsan")
  cmake_language(DEFER DIRECTORY ${DRPC_SOURCE_ROOT} CALL include ${DRPC_SOURCE_ROOT}/cmake/src_boundary.cmake)
endif()
include(${CMAKE_CURRENT_LIST_DIR}/drpc_generate.cmake)
