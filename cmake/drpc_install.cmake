# install() rules and the exported package (docs/package.md):
#
#   find_package(drpc CONFIG REQUIRED)                  drpc::drpc (OS backend)
#   find_package(drpc CONFIG REQUIRED COMPONENTS sim)   also drpc::sim
#   pkg-config --cflags --libs drpc                     the OS backend too
#
# drpc::drpc is the library on the OS backend: base, fiber, wire and the
# *_os flavours (tasks on fibers). It needs Threads, Protobuf and
# Boost.Context, never anything of sim/. The *_threads variants are for
# in-tree benchmarks and are not installed.
# drpc::sim is what a program needs to run its code in the simulator: the
# *_sim flavours, sim/sched, sim/net and the rt backend on fibers; it adds
# Boost.Context. The two flavours must never be linked into one binary.
#
# Included at the end of the top-level CMakeLists.txt, once every target
# exists.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(DRPC_OS_LIBRARIES drpc_base drpc_fiber drpc_wire drpc_rt_os drpc_stream_os drpc_manager_os drpc_rpc_os)
set(DRPC_SIM_LIBRARIES
    drpc_sim_ids drpc_sim_sched drpc_rt_sim drpc_stream_sim drpc_manager_sim drpc_rpc_sim
    drpc_sim_net drpc_sim_listener drpc_sim_world drpc_sim_search drpc_sim_seeds)
set(DRPC_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/drpc)

# The umbrella targets a user links. The same names work for a project that
# adds this one with add_subdirectory (the ALIAS) and for an installed
# package (EXPORT_NAME under the drpc:: namespace).
add_library(drpc_package INTERFACE)
target_link_libraries(drpc_package INTERFACE drpc_rpc_os drpc_manager_os drpc_stream_os
                                             drpc_rt_os drpc_wire drpc_base)
set_target_properties(drpc_package PROPERTIES EXPORT_NAME drpc)
add_library(drpc::drpc ALIAS drpc_package)

# drpc_installed_headers(<out> <root> <header>...): the headers to install
# from <root>: the given ones, plus every internal/ header they reach by
# `#include "drpc/..."`. An internal header is an implementation part, but a
# public class that holds one by value (Manager holds PendingInvokes) needs
# its definition wherever the class is used, so it must be installed too.
# Headers that no public header reaches are left out.
function(drpc_installed_headers out root)
  set(todo ${ARGN})
  set(seen "")
  while(todo)
    list(POP_FRONT todo header)
    if(header IN_LIST seen)
      continue()
    endif()
    list(APPEND seen ${header})
    file(STRINGS ${header} lines REGEX "^[ \t]*#[ \t]*include[ \t]*\"drpc/")
    foreach(line IN LISTS lines)
      string(REGEX REPLACE "^[^\"]*\"([^\"]+)\".*$" "\\1" included "${line}")
      # Headers of another include root (sim_state.h for the simulator
      # backend) are installed with that root's component.
      if(EXISTS ${root}/${included})
        list(APPEND todo ${root}/${included})
      endif()
    endforeach()
  endwhile()
  list(SORT seen)
  set(${out} ${seen} PARENT_SCOPE)
endfunction()

# drpc_install_headers(<root> <component> <header>...): installs each header
# at its path relative to <root>, under include/.
function(drpc_install_headers root component)
  foreach(header IN LISTS ARGN)
    cmake_path(RELATIVE_PATH header BASE_DIRECTORY ${root} OUTPUT_VARIABLE relative)
    cmake_path(GET relative PARENT_PATH dir)
    install(FILES ${header} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/${dir} COMPONENT ${component})
  endforeach()
endfunction()

# ---- the OS library: drpc::drpc ---------------------------------------------

file(GLOB_RECURSE drpc_src_headers CONFIGURE_DEPENDS ${DRPC_SOURCE_ROOT}/src/drpc/*.h)
list(FILTER drpc_src_headers EXCLUDE REGEX "/internal/")
drpc_installed_headers(drpc_src_headers ${DRPC_SOURCE_ROOT}/src ${drpc_src_headers})
drpc_install_headers(${DRPC_SOURCE_ROOT}/src drpc ${drpc_src_headers})
# docs/package.md lists them; this list is what `cmake --install` installs.
set(drpc_internal_installed ${drpc_src_headers})
list(FILTER drpc_internal_installed INCLUDE REGEX "/internal/")
list(TRANSFORM drpc_internal_installed REPLACE "^${DRPC_SOURCE_ROOT}/src/" "")
message(VERBOSE "drpc: internal headers installed because public ones include them: "
                "${drpc_internal_installed}")

install(TARGETS ${DRPC_OS_LIBRARIES} drpc_package
        EXPORT drpcTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT drpc)
install(EXPORT drpcTargets NAMESPACE drpc:: DESTINATION ${DRPC_CMAKE_DIR} COMPONENT drpc)

# ---- the code generator: drpc::protoc-gen-drpc-cpp and drpc_generate() -------
# A consumer runs protoc-gen-drpc-cpp on its own .proto files with the same
# CMake function this build uses (docs/codegen.md).
install(TARGETS protoc-gen-drpc-cpp
        EXPORT drpcToolTargets
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT drpc)
install(EXPORT drpcToolTargets NAMESPACE drpc:: DESTINATION ${DRPC_CMAKE_DIR} COMPONENT drpc)
install(FILES ${DRPC_SOURCE_ROOT}/cmake/drpc_generate.cmake
        DESTINATION ${DRPC_CMAKE_DIR} COMPONENT drpc)

# ---- the simulator harness: drpc::sim ----------------------------------------

set(DRPC_PACKAGE_HAS_SIM OFF)
if(DRPC_BUILD_SIM)
  set(DRPC_PACKAGE_HAS_SIM ON)
  add_library(drpc_sim_package INTERFACE)
  target_link_libraries(drpc_sim_package INTERFACE drpc_rpc_sim drpc_manager_sim drpc_stream_sim
                                                   drpc_rt_sim drpc_sim_world drpc_sim_listener drpc_sim_net
                                                   drpc_sim_seeds drpc_sim_search drpc_sim_sched
                                                   drpc_wire drpc_base)
  set_target_properties(drpc_sim_package PROPERTIES EXPORT_NAME sim)
  add_library(drpc::sim ALIAS drpc_sim_package)

  # The sim/ headers are included as "sim/sched/run.h", so they go under
  # include/sim/; the two small include roots the rt types need in simulator
  # builds (drpc/sim/*.h, drpc/rt/internal/sim_state.h) go under include/ as
  # they are laid out here.
  file(GLOB drpc_sim_headers ${DRPC_SOURCE_ROOT}/sim/sched/*.h ${DRPC_SOURCE_ROOT}/sim/net/*.h
       ${DRPC_SOURCE_ROOT}/sim/gtest/*.h)
  drpc_install_headers(${DRPC_SOURCE_ROOT} sim ${drpc_sim_headers})
  foreach(root ${DRPC_SOURCE_ROOT}/sim/sched/include ${DRPC_SOURCE_ROOT}/sim/rt/include)
    file(GLOB_RECURSE headers ${root}/*.h)
    drpc_install_headers(${root} sim ${headers})
  endforeach()

  install(TARGETS ${DRPC_SIM_LIBRARIES} drpc_sim_package
          EXPORT drpcSimTargets
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT sim)
  install(EXPORT drpcSimTargets NAMESPACE drpc:: DESTINATION ${DRPC_CMAKE_DIR} COMPONENT sim)
endif()

# ---- drpcConfig.cmake, drpcConfigVersion.cmake, drpc.pc ----------------------

if(DRPC_CHECKED)
  set(DRPC_CHECKED_VALUE 1)
else()
  set(DRPC_CHECKED_VALUE 0)
endif()
configure_package_config_file(${DRPC_SOURCE_ROOT}/cmake/drpcConfig.cmake.in
                              ${CMAKE_BINARY_DIR}/package/drpcConfig.cmake
                              INSTALL_DESTINATION ${DRPC_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/package/drpcConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/package/drpcConfig.cmake
              ${CMAKE_BINARY_DIR}/package/drpcConfigVersion.cmake
        DESTINATION ${DRPC_CMAKE_DIR} COMPONENT drpc)

# drpc.pc finds the headers relative to itself, so an installed tree can be
# moved (the consumer test installs into a scratch folder).
file(RELATIVE_PATH DRPC_PC_INCLUDEDIR /root/${CMAKE_INSTALL_LIBDIR}/pkgconfig
     /root/${CMAKE_INSTALL_INCLUDEDIR})
configure_file(${DRPC_SOURCE_ROOT}/cmake/drpc.pc.in ${CMAKE_BINARY_DIR}/package/drpc.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/package/drpc.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT drpc)
