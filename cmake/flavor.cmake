# Compile and link flags for each DRPC_FLAVOR. Flags are global so that every
# object in a flavor (library, tests, drivers) is instrumented the same way.
set(DRPC_COMMON_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wno-unused-parameter)
add_compile_options(${DRPC_COMMON_WARNINGS})

# DRPC_FLAVOR_COMPILE_FLAGS / DRPC_FLAVOR_LINK_FLAGS: the instrumentation
# alone, also handed to the consumer test's separate build (tests/consumer),
# which links these instrumented libraries.
set(DRPC_FLAVOR_COMPILE_FLAGS "")
set(DRPC_FLAVOR_LINK_FLAGS "")
if(DRPC_FLAVOR STREQUAL "asan")
  set(DRPC_FLAVOR_COMPILE_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all
                                -fno-omit-frame-pointer)
  set(DRPC_FLAVOR_LINK_FLAGS -fsanitize=address,undefined)
elseif(DRPC_FLAVOR STREQUAL "tsan")
  set(DRPC_FLAVOR_COMPILE_FLAGS -fsanitize=thread -fno-omit-frame-pointer)
  set(DRPC_FLAVOR_LINK_FLAGS -fsanitize=thread)
elseif(DRPC_FLAVOR STREQUAL "fuzz")
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "the fuzz flavor needs clang (libFuzzer is clang-only)")
  endif()
  # DRPC_FUZZ_SANITIZERS=OFF (preset fuzz-fast): coverage only, no ASan/UBSan,
  # for schedule fuzzing where the checks are the simulator's own and speed
  # buys interleavings (docs/fuzzing.md).
  option(DRPC_FUZZ_SANITIZERS "Build fuzz targets with ASan and UBSan" ON)
  if(DRPC_FUZZ_SANITIZERS)
    set(DRPC_FLAVOR_COMPILE_FLAGS -fsanitize=fuzzer-no-link,address,undefined
                                  -fno-sanitize-recover=all -fno-omit-frame-pointer)
    set(DRPC_FLAVOR_LINK_FLAGS -fsanitize=address,undefined)
  else()
    # Edge counters only: comparison tracing (trace-cmp) took about half of
    # a manager_sim execution and steers toward magic values, which choice
    # bytes do not have; the scheduler's own features (fuzz/manager_sim)
    # replace it.
    set(DRPC_FLAVOR_COMPILE_FLAGS -fsanitize=fuzzer-no-link -fno-sanitize-coverage=trace-cmp)
  endif()
  add_compile_definitions(FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION)
elseif(NOT DRPC_FLAVOR STREQUAL "none")
  message(FATAL_ERROR "DRPC_FLAVOR must be none, asan, tsan or fuzz (got '${DRPC_FLAVOR}')")
endif()
add_compile_options(${DRPC_FLAVOR_COMPILE_FLAGS})
add_link_options(${DRPC_FLAVOR_LINK_FLAGS})

# DRPC_CHECKED is not set here: it changes class layouts, so it is a PUBLIC
# compile definition of drpc_base (src/drpc/base/CMakeLists.txt) and reaches
# every target that links the library, in this build and in an installed
# package alike.
