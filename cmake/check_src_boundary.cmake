# cmake -P script behind the src_boundary.* ctest tests (src_boundary.cmake).
#   MODE=grep     SRC_DIR: fails naming every src/ line that includes a
#                 header of the simulator (sim/... or drpc/sim/...)
#   MODE=compile  CXX, FLAGS_FILE (INCLUDES, DEFINES of one src library),
#                 WORK_DIR: a TU including "sim/sched/scheduler.h" must not
#                 compile, for want of the header; a TU including
#                 "drpc/base/status.h" must (so the flags themselves work)

if(MODE STREQUAL "grep")
  file(GLOB_RECURSE files ${SRC_DIR}/*.h ${SRC_DIR}/*.cc)
  list(SORT files)
  set(offences "")
  foreach(file IN LISTS files)
    file(STRINGS ${file} lines REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"](drpc/)?sim/")
    foreach(line IN LISTS lines)
      string(APPEND offences "\n  ${file}: ${line}")
    endforeach()
  endforeach()
  if(offences)
    message(FATAL_ERROR "src/ includes the simulator (docs/rt.md: src/ never includes sim/):${offences}")
  endif()
  message(STATUS "no file under ${SRC_DIR} includes sim/")

elseif(MODE STREQUAL "compile")
  include(${FLAGS_FILE})
  set(flags -std=c++20 -fsyntax-only)
  foreach(dir IN LISTS INCLUDES)
    list(APPEND flags -I${dir})
  endforeach()
  foreach(def IN LISTS DEFINES)
    list(APPEND flags -D${def})
  endforeach()
  file(MAKE_DIRECTORY ${WORK_DIR})

  file(WRITE ${WORK_DIR}/allowed.cc "#include \"drpc/base/status.h\"\n")
  execute_process(COMMAND ${CXX} ${flags} ${WORK_DIR}/allowed.cc
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "the probe is broken: drpc/base/status.h does not compile with these flags:\n${out}")
  endif()

  file(WRITE ${WORK_DIR}/forbidden.cc "#include \"sim/sched/scheduler.h\"\n")
  execute_process(COMMAND ${CXX} ${flags} ${WORK_DIR}/forbidden.cc
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(rc EQUAL 0)
    message(FATAL_ERROR "a src library can include sim/sched/scheduler.h: its include roots are\n  "
                        "${INCLUDES}\n(only src/ and the rt seam may be; docs/rt.md)")
  endif()
  # gcc: "sim/sched/scheduler.h: No such file or directory";
  # clang: "'sim/sched/scheduler.h' file not found". Any other failure means
  # the header was found (and something it includes was not).
  if(NOT out MATCHES "sim/sched/scheduler\\.h(: No such file or directory|' file not found)")
    message(FATAL_ERROR "a src library can reach sim/sched/scheduler.h (it failed later):\n${out}")
  endif()
  message(STATUS "sim/sched/scheduler.h is out of reach, drpc/base/status.h compiles")

else()
  message(FATAL_ERROR "check_src_boundary.cmake: MODE must be grep or compile")
endif()
