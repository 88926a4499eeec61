# Compile and link flags for each DRPC_FLAVOR. Flags are global so that every
# object in a flavor (library, tests, drivers) is instrumented the same way.
set(DRPC_COMMON_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wno-unused-parameter)
add_compile_options(${DRPC_COMMON_WARNINGS})

if(DRPC_FLAVOR STREQUAL "asan")
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
elseif(DRPC_FLAVOR STREQUAL "tsan")
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
elseif(DRPC_FLAVOR STREQUAL "fuzz")
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "the fuzz flavor needs clang (libFuzzer is clang-only)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined
                      -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_compile_definitions(FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION)
  add_link_options(-fsanitize=address,undefined)
elseif(NOT DRPC_FLAVOR STREQUAL "none")
  message(FATAL_ERROR "DRPC_FLAVOR must be none, asan, tsan or fuzz (got '${DRPC_FLAVOR}')")
endif()

if(DRPC_CHECKED)
  add_compile_definitions(DRPC_CHECKED=1)
else()
  add_compile_definitions(DRPC_CHECKED=0)
endif()
