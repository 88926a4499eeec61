#include "generator.h"

#include <google/protobuf/compiler/cpp/names.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/printer.h>
#include <google/protobuf/io/zero_copy_stream.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "names.h"

namespace drpc::codegen {
namespace {

namespace pb = google::protobuf;
namespace pbcpp = google::protobuf::compiler::cpp;
using Vars = std::map<std::string, std::string>;

enum class Shape { kUnary, kServerStream, kClientStream, kBidiStream };

Shape ShapeOf(const pb::MethodDescriptor& m) {
  if (m.client_streaming()) return m.server_streaming() ? Shape::kBidiStream : Shape::kClientStream;
  return m.server_streaming() ? Shape::kServerStream : Shape::kUnary;
}

// The .proto's own comment above `descriptor`, as C++ comment lines
// indented by `indent` ("" if it has none).
template <class D>
std::string LeadingComment(const D& descriptor, std::string_view indent) {
  pb::SourceLocation location;
  if (!descriptor.GetSourceLocation(&location)) return "";
  std::string_view text = location.leading_comments;
  std::string out;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    out += std::string(indent) + "//" + std::string(line) + "\n";
  }
  return out;
}

// Everything one method needs in the templates below.
Vars MethodVars(const Vars& service_vars, const pb::MethodDescriptor& method,
                const std::string& cpp_name) {
  Vars vars = service_vars;
  vars["method"] = cpp_name;
  vars["constant"] = MethodConstant(method);
  vars["rpc"] = "/" + method.service()->full_name() + "/" + method.name();
  vars["in"] = pbcpp::QualifiedClassName(method.input_type());
  vars["out"] = pbcpp::QualifiedClassName(method.output_type());
  return vars;
}

void PrintConstants(pb::io::Printer& p, const pb::ServiceDescriptor& service) {
  if (service.method_count() == 0) return;
  p.Print("\n  // The RPC names, as they travel on the wire.\n");
  for (int i = 0; i < service.method_count(); ++i) {
    const pb::MethodDescriptor& m = *service.method(i);
    p.Print(
        Vars{{"constant", MethodConstant(m)}, {"rpc", "/" + service.full_name() + "/" + m.name()}},
        "  static constexpr char $constant$[] = \"$rpc$\";\n");
  }
}

void PrintServiceMethod(pb::io::Printer& p, const Vars& v, Shape shape) {
  p.Print(v, "  virtual ::drpc::Status $method$(\n      ::drpc::rpc::ServerCall& /*call*/,");
  switch (shape) {
    case Shape::kUnary:
      p.Print(v, " const $in$& /*in*/, $out$& /*out*/) {\n");
      break;
    case Shape::kServerStream:
      p.Print(v, " const $in$& /*in*/,\n      ::drpc::rpc::ServerWriter<$out$>& /*out*/) {\n");
      break;
    case Shape::kClientStream:
      p.Print(v, " ::drpc::rpc::ServerReader<$in$>& /*in*/,\n      $out$& /*out*/) {\n");
      break;
    case Shape::kBidiStream:
      p.Print(v, "\n      ::drpc::rpc::ServerReaderWriter<$in$, $out$>& /*stream*/) {\n");
      break;
  }
  p.Print("    return ::drpc::UnimplementedError();\n  }\n");
}

void PrintClientMethod(pb::io::Printer& p, const Vars& v, Shape shape) {
  switch (shape) {
    case Shape::kUnary:
      p.Print(v,
              "  ::drpc::Status $method$(\n"
              "      const $in$& in, $out$& out, const ::drpc::rpc::CallOptions& options = {}) {\n"
              "    return conn_.Invoke($class$::$constant$, in, out, options);\n"
              "  }\n");
      break;
    case Shape::kServerStream:
      p.Print(v,
              "  // Sends the request (and closes the sending side) before it returns:\n"
              "  // Recv the replies until EOF.\n"
              "  ::drpc::Result<::drpc::rpc::ClientStream<$in$, $out$>> $method$(\n"
              "      const $in$& in, const ::drpc::rpc::CallOptions& options = {}) {\n"
              "    auto s = conn_.NewStream<$in$, $out$>(\n"
              "        $class$::$constant$, options);\n"
              "    // A failed send ends the call; Recv then reports why.\n"
              "    if (s.ok() && s->Send(in).ok()) (void)s->CloseSend();\n"
              "    return s;\n"
              "  }\n");
      break;
    case Shape::kClientStream:
      p.Print(v,
              "  // Send the requests, then CloseAndRecv the reply.\n"
              "  ::drpc::Result<::drpc::rpc::ClientStream<$in$, $out$>> $method$(\n"
              "      const ::drpc::rpc::CallOptions& options = {}) {\n"
              "    return conn_.NewStream<$in$, $out$>(\n"
              "        $class$::$constant$, options);\n"
              "  }\n");
      break;
    case Shape::kBidiStream:
      p.Print(v,
              "  // Send and Recv in any order; CloseSend when done, then Recv until EOF.\n"
              "  ::drpc::Result<::drpc::rpc::ClientStream<$in$, $out$>> $method$(\n"
              "      const ::drpc::rpc::CallOptions& options = {}) {\n"
              "    return conn_.NewStream<$in$, $out$>(\n"
              "        $class$::$constant$, options);\n"
              "  }\n");
      break;
  }
}

void PrintRegistration(pb::io::Printer& p, const Vars& v, Shape shape) {
  switch (shape) {
    case Shape::kUnary:
      p.Print(v,
              "  mux.RegisterUnary<$in$, $out$>(\n"
              "      $class$::$constant$,\n"
              "      [&impl](::drpc::rpc::ServerCall& call, const $in$& in, $out$& out) {\n"
              "        return impl.$method$(call, in, out);\n"
              "      });\n");
      break;
    case Shape::kServerStream:
      p.Print(v,
              "  mux.RegisterServerStream<$in$, $out$>(\n"
              "      $class$::$constant$,\n"
              "      [&impl](::drpc::rpc::ServerCall& call, const $in$& in,\n"
              "              ::drpc::rpc::ServerWriter<$out$>& out) {\n"
              "        return impl.$method$(call, in, out);\n"
              "      });\n");
      break;
    case Shape::kClientStream:
      p.Print(v,
              "  mux.RegisterClientStream<$in$, $out$>(\n"
              "      $class$::$constant$,\n"
              "      [&impl](::drpc::rpc::ServerCall& call, ::drpc::rpc::ServerReader<$in$>& in,\n"
              "              $out$& out) { return impl.$method$(call, in, out); });\n");
      break;
    case Shape::kBidiStream:
      p.Print(v,
              "  mux.RegisterBidiStream<$in$, $out$>(\n"
              "      $class$::$constant$,\n"
              "      [&impl](::drpc::rpc::ServerCall& call,\n"
              "              ::drpc::rpc::ServerReaderWriter<$in$, $out$>& stream) {\n"
              "        return impl.$method$(call, stream);\n"
              "      });\n");
      break;
  }
}

void PrintService(pb::io::Printer& p, const pb::ServiceDescriptor& service, const std::string& ns,
                  const std::string& cpp_name) {
  const Vars sv = {
      {"name", cpp_name}, {"class", ns + "::" + cpp_name}, {"full_name", service.full_name()}};
  const std::map<const pb::MethodDescriptor*, std::string> method_names = MethodNames(service);
  const bool empty = service.method_count() == 0;
  // Prints every method of the service with `print` (its variables and
  // shape), each after a blank line and its .proto comment if asked.
  const auto for_each_method = [&](void (*print)(pb::io::Printer&, const Vars&, Shape),
                                   bool with_comment) {
    for (int i = 0; i < service.method_count(); ++i) {
      const pb::MethodDescriptor& m = *service.method(i);
      if (with_comment) {
        p.Print("\n");
        p.PrintRaw(LeadingComment(m, "  "));
      }
      print(p, MethodVars(sv, m, method_names.at(&m)), ShapeOf(m));
    }
  };

  p.Print(sv,
          "\n"
          "// Service $full_name$: its RPC names, Service (what a server implements),\n"
          "// Register (puts a Service on a mux) and Client (calls it over a Conn).\n");
  if (const std::string comment = LeadingComment(service, ""); !comment.empty()) {
    p.Print("//\n");
    p.PrintRaw(comment);
  }
  p.Print(sv,
          "class $name$ final {\n"
          " public:\n"
          "  $name$() = delete;\n");
  PrintConstants(p, service);
  p.Print(sv,
          "\n"
          "  class Service;\n"
          "  class Client;\n"
          "\n"
          "  // Registers every method of `impl` on `mux`; `impl` must outlive the\n"
          "  // server that serves the mux.\n"
          "  static void Register(::drpc::rpc::Mux& mux, Service& impl);\n"
          "};\n"
          "\n"
          "// What a server of $full_name$ implements. A method it does not override\n"
          "// answers Unimplemented (code 12), so a method added to the .proto later\n"
          "// does not break it. The returned Status ends the call: ok, or an error\n"
          "// whose code and text the client receives.\n"
          "class $name$::Service {\n"
          " public:\n"
          "  virtual ~Service() = default;\n");
  for_each_method(PrintServiceMethod, /*with_comment=*/true);
  p.Print(sv,
          "};\n"
          "\n"
          "// Calls $full_name$ over a connection. A streaming method returns the\n"
          "// call's stream: a Recv that returns EOF means the server finished\n"
          "// normally; any other error is the call's status.\n"
          "class $name$::Client {\n"
          " public:\n"
          "  // `conn` must outlive the client and the streams it opens.\n"
          "  explicit Client(::drpc::rpc::Conn& conn) : conn_(conn) {}\n");
  for_each_method(PrintClientMethod, /*with_comment=*/true);
  // Clang warns of a private field no method uses (a service without methods).
  Vars member = sv;
  member["unused"] = empty ? "[[maybe_unused]] " : "";
  p.Print(member,
          "\n"
          " private:\n"
          "  $unused$::drpc::rpc::Conn& conn_;\n"
          "};\n"
          "\n");
  if (empty) {
    p.Print(sv, "inline void $name$::Register(::drpc::rpc::Mux& /*mux*/, Service& /*impl*/) {}\n");
    return;
  }
  p.Print(sv, "inline void $name$::Register(::drpc::rpc::Mux& mux, Service& impl) {\n");
  for_each_method(PrintRegistration, /*with_comment=*/false);
  p.Print("}\n");
}

}  // namespace

bool DrpcCppGenerator::Generate(const pb::FileDescriptor* file, const std::string& parameter,
                                pb::compiler::GeneratorContext* context, std::string* error) const {
  if (!parameter.empty()) {
    *error = "protoc-gen-drpc-cpp takes no parameter (got \"" + parameter + "\")";
    return false;
  }
  const std::string base = pbcpp::StripProto(file->name());
  std::unique_ptr<pb::io::ZeroCopyOutputStream> output(context->Open(base + ".drpc.h"));
  pb::io::Printer p(output.get(), '$');
  p.Print(Vars{{"proto", file->name()}},
          "// Generated by protoc-gen-drpc-cpp from $proto$. DO NOT EDIT.\n"
          "// Per service S: S::k<Method> (RPC names), S::Service, S::Register and\n"
          "// S::Client. Usage: docs/codegen.md in drpc.\n"
          "#pragma once\n\n");
  if (file->service_count() > 0) {
    for (const char* header :
         {"drpc/base/result.h", "drpc/base/status.h", "drpc/rpc/call_options.h",
          "drpc/rpc/client_stream.h", "drpc/rpc/conn.h", "drpc/rpc/handler.h", "drpc/rpc/mux.h",
          "drpc/rpc/server_streams.h"}) {
      p.Print(Vars{{"header", header}}, "#include \"$header$\"\n");
    }
  }
  p.Print(Vars{{"pb_h", base + ".pb.h"}}, "#include \"$pb_h$\"\n");
  if (file->service_count() == 0) return !p.failed();

  const std::string ns = CppNamespace(*file);
  if (!ns.empty()) p.Print(Vars{{"ns", ns.substr(2)}}, "\nnamespace $ns$ {\n");
  const std::map<const pb::ServiceDescriptor*, std::string> names = ServiceClassNames(*file);
  for (int i = 0; i < file->service_count(); ++i) {
    PrintService(p, *file->service(i), ns, names.at(file->service(i)));
  }
  if (!ns.empty()) p.Print(Vars{{"ns", ns.substr(2)}}, "\n}  // namespace $ns$\n");
  return !p.failed();
}

}  // namespace drpc::codegen
