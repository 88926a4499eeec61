# cmake -P script behind the codegen.golden test and the
# protoc-gen-drpc-cpp-golden target: runs protoc with the plugin on every
# PROTO_DIR/*.proto into WORK_DIR, then
#   MODE=check   fails unless each output equals GOLDEN_DIR/<name>.drpc.h
#                (and no golden file lacks an output), printing a diff
#   MODE=update  copies the outputs over GOLDEN_DIR (review with git diff)
cmake_minimum_required(VERSION 3.25)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})
file(GLOB protos RELATIVE ${PROTO_DIR} ${PROTO_DIR}/*.proto)
list(SORT protos)
execute_process(
  COMMAND ${PROTOC} --plugin=protoc-gen-drpc-cpp=${PLUGIN} --drpc-cpp_out=${WORK_DIR}
          -I ${PROTO_DIR} ${protos}
  RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "protoc with the plugin failed:\n${err}")
endif()

file(GLOB outputs RELATIVE ${WORK_DIR} ${WORK_DIR}/*.drpc.h)
file(GLOB goldens RELATIVE ${GOLDEN_DIR} ${GOLDEN_DIR}/*.drpc.h)
if(MODE STREQUAL "update")
  foreach(stale IN LISTS goldens)
    file(REMOVE ${GOLDEN_DIR}/${stale})
  endforeach()
  foreach(out IN LISTS outputs)
    file(COPY_FILE ${WORK_DIR}/${out} ${GOLDEN_DIR}/${out})
  endforeach()
  message(STATUS "wrote ${outputs} to ${GOLDEN_DIR}")
  return()
endif()

set(failures "")
foreach(out IN LISTS outputs)
  if(NOT EXISTS ${GOLDEN_DIR}/${out})
    string(APPEND failures "\n${out}: no golden file")
    continue()
  endif()
  execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${GOLDEN_DIR}/${out} ${WORK_DIR}/${out}
                  RESULT_VARIABLE differ)
  if(differ)
    execute_process(COMMAND diff -u ${GOLDEN_DIR}/${out} ${WORK_DIR}/${out} OUTPUT_VARIABLE diff)
    string(APPEND failures "\n${out} differs from its golden file:\n${diff}")
  endif()
endforeach()
foreach(golden IN LISTS goldens)
  if(NOT golden IN_LIST outputs)
    string(APPEND failures "\n${golden}: a golden file the plugin no longer writes")
  endif()
endforeach()
if(failures)
  message(FATAL_ERROR "generated code changed:${failures}\n"
    "If the change is intended: cmake --build <build dir> --target protoc-gen-drpc-cpp-golden, "
    "then review and commit testdata/golden/.")
endif()
list(LENGTH outputs n)
message(STATUS "${n} generated headers equal their golden files")
