// protoc-gen-drpc-cpp's code generator: for a .proto file "a/b.proto" it
// writes "a/b.drpc.h", the drpc glue of the file's services (which
// protobuf's own C++ generator leaves out). What the header holds and why
// it is header-only: docs/codegen.md.
#pragma once

#include <google/protobuf/compiler/code_generator.h>

#include <cstdint>
#include <string>

namespace drpc::codegen {

class DrpcCppGenerator final : public google::protobuf::compiler::CodeGenerator {
 public:
  // Takes no parameter: any is an error.
  bool Generate(const google::protobuf::FileDescriptor* file, const std::string& parameter,
                google::protobuf::compiler::GeneratorContext* context,
                std::string* error) const override;
  uint64_t GetSupportedFeatures() const override { return FEATURE_PROTO3_OPTIONAL; }
};

}  // namespace drpc::codegen
