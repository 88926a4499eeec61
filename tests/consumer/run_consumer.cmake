# cmake -P script behind the ctest test package.consumer (CMakeLists.txt):
#   1. cmake --install BUILD_DIR into WORK_DIR/prefix (a fresh folder)
#   2. configure, build and run project/ against that prefix alone
#      (find_package(drpc CONFIG COMPONENTS sim): consumer_os, consumer_sim)
#   3. compile project/pkgconfig_probe.cc with `pkg-config --cflags --libs
#      drpc` from the prefix, and run it
# Any failing step fails the test with its output.

function(step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "package test: ${what} failed (${rc}):\n${out}")
  endif()
  message(STATUS "package test: ${what}: ok")
  set(step_output "${out}" PARENT_SCOPE)
endfunction()

set(prefix ${WORK_DIR}/prefix)
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

step("install into ${prefix}" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})

# No source folder of drpc may be visible to the consumer: only the prefix.
step("configure the consumer project"
     ${CMAKE_COMMAND} -S ${PROJECT_DIR} -B ${WORK_DIR}/build -G ${GENERATOR}
     -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
     -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_BUILD_TYPE=${BUILD_TYPE}
     "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${LINK_FLAGS}")
step("build the consumer project" ${CMAKE_COMMAND} --build ${WORK_DIR}/build)
step("run consumer_os" ${WORK_DIR}/build/consumer_os)
message(STATUS "${step_output}")
step("run consumer_sim" ${WORK_DIR}/build/consumer_sim)
message(STATUS "${step_output}")

set(ENV{PKG_CONFIG_PATH} "")
file(GLOB pc_files ${prefix}/*/pkgconfig/drpc.pc ${prefix}/*/*/pkgconfig/drpc.pc)
if(NOT pc_files)
  message(FATAL_ERROR "package test: no drpc.pc under ${prefix}")
endif()
list(GET pc_files 0 pc_file)
get_filename_component(pc_dir ${pc_file} DIRECTORY)
set(ENV{PKG_CONFIG_PATH} ${pc_dir})
step("pkg-config --cflags --libs drpc" pkg-config --cflags --libs drpc)
string(STRIP "${step_output}" pc_flags)
separate_arguments(pc_flags UNIX_COMMAND "${pc_flags}")
separate_arguments(extra_cxx UNIX_COMMAND "${CXX_FLAGS}")
separate_arguments(extra_link UNIX_COMMAND "${LINK_FLAGS}")
step("compile pkgconfig_probe.cc with pkg-config's flags"
     ${CXX} -std=c++20 ${extra_cxx} ${PROJECT_DIR}/pkgconfig_probe.cc -o ${WORK_DIR}/pkgconfig_probe
     ${pc_flags} ${extra_link})
step("run pkgconfig_probe" ${WORK_DIR}/pkgconfig_probe)
message(STATUS "${step_output}")
