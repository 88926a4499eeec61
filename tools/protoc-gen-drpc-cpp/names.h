// The C++ names protoc-gen-drpc-cpp gives a .proto file's services and
// methods. A proto name is kept unless C++ or a neighbouring generated name
// forbids it; then '_' is appended until it is free (protobuf's own rule for
// keywords). The rules and why: docs/codegen.md, "Names".
#pragma once

#include <google/protobuf/descriptor.h>

#include <map>
#include <string>

namespace drpc::codegen {

// "::a::b::c" for package a.b.c, "" for no package (protobuf's namespace).
std::string CppNamespace(const google::protobuf::FileDescriptor& file);

// The C++ class name of each service of `file`, by service.
std::map<const google::protobuf::ServiceDescriptor*, std::string> ServiceClassNames(
    const google::protobuf::FileDescriptor& file);

// The C++ member name of each method of `service` (the same in the service
// base class and in the client), by method.
std::map<const google::protobuf::MethodDescriptor*, std::string> MethodNames(
    const google::protobuf::ServiceDescriptor& service);

// "kSay" for method Say: the constant naming the method's RPC.
std::string MethodConstant(const google::protobuf::MethodDescriptor& method);

}  // namespace drpc::codegen
