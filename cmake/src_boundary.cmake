# ctest tests (label unit) that src/ never includes sim/ (docs/rt.md):
#   src_boundary.no_sim_includes       no file under src/ names a sim/ header
#   src_boundary.include_roots.<lib>   a TU compiled with <lib>'s include
#                                      roots and definitions cannot include
#                                      "sim/sched/scheduler.h", and can
#                                      include "drpc/base/status.h"
# The first names the offending line; the second catches a target that
# hands the repo root to src libraries again (the state before issue 10).

add_test(NAME src_boundary.no_sim_includes
  COMMAND ${CMAKE_COMMAND} -DMODE=grep -DSRC_DIR=${DRPC_SOURCE_ROOT}/src
          -P ${DRPC_SOURCE_ROOT}/cmake/check_src_boundary.cmake)
set_tests_properties(src_boundary.no_sim_includes PROPERTIES LABELS unit TIMEOUT 60)

get_property(drpc_src_libraries GLOBAL PROPERTY DRPC_SRC_LIBRARIES)
foreach(lib IN LISTS drpc_src_libraries)
  set(flags_file ${CMAKE_BINARY_DIR}/src_boundary/${lib}.cmake)
  file(GENERATE OUTPUT ${flags_file} CONTENT
"set(INCLUDES \"$<TARGET_PROPERTY:${lib},INCLUDE_DIRECTORIES>\")
set(DEFINES \"$<TARGET_PROPERTY:${lib},COMPILE_DEFINITIONS>\")
")
  add_test(NAME src_boundary.include_roots.${lib}
    COMMAND ${CMAKE_COMMAND} -DMODE=compile -DCXX=${CMAKE_CXX_COMPILER} -DFLAGS_FILE=${flags_file}
            -DWORK_DIR=${CMAKE_BINARY_DIR}/src_boundary/${lib}
            -P ${DRPC_SOURCE_ROOT}/cmake/check_src_boundary.cmake)
  set_tests_properties(src_boundary.include_roots.${lib} PROPERTIES LABELS unit TIMEOUT 120)
endforeach()
