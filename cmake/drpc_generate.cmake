# drpc_generate(TARGET <target> [PROTOS <a.proto>...] [IMPORT_DIRS <dir>...]
#               [APPEND_PATH] [PROTOC_OUT_DIR <dir>])
# Runs protoc with protoc-gen-drpc-cpp on the .proto files and adds the
# generated headers (<name>.drpc.h, next to protobuf's <name>.pb.h) to
# <target>. Call it after protobuf's own C++ generation of the same files,
# with the same arguments:
#
#   add_library(echo_proto STATIC echo.proto)
#   target_link_libraries(echo_proto PUBLIC protobuf::libprotobuf)
#   target_include_directories(echo_proto PUBLIC ${CMAKE_CURRENT_BINARY_DIR})
#   protobuf_generate(TARGET echo_proto LANGUAGE cpp)
#   drpc_generate(TARGET echo_proto)
#
# The headers are header-only and use only drpc::rpc's API: a program
# includes "echo.drpc.h" and links the drpc library of its backend.
# PROTOS defaults to the target's .proto sources; the other arguments mean
# what they mean to protobuf_generate (FindProtobuf). docs/codegen.md.
function(drpc_generate)
  cmake_parse_arguments(ARG "APPEND_PATH" "TARGET;PROTOC_OUT_DIR" "PROTOS;IMPORT_DIRS" ${ARGN})
  if(NOT ARG_TARGET)
    message(FATAL_ERROR "drpc_generate needs TARGET")
  endif()
  # The plugin: built here, or imported from an installed drpc package.
  set(plugin drpc::protoc-gen-drpc-cpp)
  if(NOT TARGET ${plugin})
    message(FATAL_ERROR "drpc_generate: no target ${plugin} (build tools/protoc-gen-drpc-cpp "
                        "or find_package(drpc) first)")
  endif()
  get_target_property(plugin_target ${plugin} ALIASED_TARGET)
  if(NOT plugin_target)
    set(plugin_target ${plugin})
  endif()

  set(forwarded TARGET ${ARG_TARGET})
  if(ARG_APPEND_PATH)
    list(APPEND forwarded APPEND_PATH)
  endif()
  if(ARG_PROTOC_OUT_DIR)
    list(APPEND forwarded PROTOC_OUT_DIR ${ARG_PROTOC_OUT_DIR})
  endif()
  if(ARG_PROTOS)
    list(APPEND forwarded PROTOS ${ARG_PROTOS})
  endif()
  if(ARG_IMPORT_DIRS)
    list(APPEND forwarded IMPORT_DIRS ${ARG_IMPORT_DIRS})
  endif()
  protobuf_generate(${forwarded}
    LANGUAGE drpc-cpp
    PLUGIN protoc-gen-drpc-cpp=$<TARGET_FILE:${plugin_target}>
    GENERATE_EXTENSIONS .drpc.h
    OUT_VAR outputs)
  # protobuf_generate (CMake 3.25) cannot name the plugin as a dependency:
  # a rebuilt plugin must regenerate the headers.
  foreach(output IN LISTS outputs)
    add_custom_command(OUTPUT ${output} APPEND DEPENDS ${plugin_target})
  endforeach()
endfunction()
