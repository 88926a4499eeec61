// protoc-gen-drpc-cpp: a protoc plugin, run as
//   protoc --plugin=protoc-gen-drpc-cpp=PATH --drpc-cpp_out=OUT_DIR a.proto
// (cmake/drpc_generate.cmake does it for a CMake target). docs/codegen.md.
#include <google/protobuf/compiler/plugin.h>

#include "generator.h"

int main(int argc, char* argv[]) {
  drpc::codegen::DrpcCppGenerator generator;
  return google::protobuf::compiler::PluginMain(argc, argv, &generator);
}
