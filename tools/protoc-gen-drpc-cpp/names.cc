#include "names.h"

#include <google/protobuf/compiler/cpp/names.h>
#include <google/protobuf/descriptor.pb.h>

#include <set>
#include <string_view>

namespace drpc::codegen {
namespace {

namespace pb = google::protobuf;
namespace pbcpp = google::protobuf::compiler::cpp;

// C++20's keywords and alternative tokens: a name protobuf's generator
// would escape with '_' too (libprotoc does not install its own list).
bool IsCppKeyword(const std::string& name) {
  static const std::set<std::string> kKeywords = {
      "alignas",       "alignof",     "and",
      "and_eq",        "asm",         "auto",
      "bitand",        "bitor",       "bool",
      "break",         "case",        "catch",
      "char",          "char8_t",     "char16_t",
      "char32_t",      "class",       "compl",
      "concept",       "const",       "consteval",
      "constexpr",     "constinit",   "const_cast",
      "continue",      "co_await",    "co_return",
      "co_yield",      "decltype",    "default",
      "delete",        "do",          "double",
      "dynamic_cast",  "else",        "enum",
      "explicit",      "export",      "extern",
      "false",         "float",       "for",
      "friend",        "goto",        "if",
      "inline",        "int",         "long",
      "mutable",       "namespace",   "new",
      "noexcept",      "not",         "not_eq",
      "nullptr",       "operator",    "or",
      "or_eq",         "private",     "protected",
      "public",        "register",    "reinterpret_cast",
      "requires",      "return",      "short",
      "signed",        "sizeof",      "static",
      "static_assert", "static_cast", "struct",
      "switch",        "template",    "this",
      "thread_local",  "throw",       "true",
      "try",           "typedef",     "typeid",
      "typename",      "union",       "unsigned",
      "using",         "virtual",     "void",
      "volatile",      "wchar_t",     "while",
      "xor",           "xor_eq"};
  return kKeywords.count(name) != 0;
}

// `name`, with '_' appended while it is a C++ keyword or in `taken`.
std::string FreeName(std::string name, const std::set<std::string>& taken) {
  if (IsCppKeyword(name)) name += '_';
  while (taken.count(name) != 0) name += '_';
  return name;
}

// The names protobuf's C++ generator puts at namespace scope for an enum:
// its class, its values, its helper functions and bounds.
void AddEnumNames(const pb::EnumDescriptor& e, std::set<std::string>& names) {
  const std::string cls = pbcpp::ClassName(&e);
  names.insert(cls);
  for (const char* suffix : {"_IsValid", "_descriptor", "_Name", "_Parse"})
    names.insert(cls + suffix);
  // Bounds: Top_MIN for a file's enum, Outer_Color_Color_MIN for a nested one.
  const std::string bound = e.containing_type() == nullptr ? e.name() : cls + "_" + e.name();
  for (const char* suffix : {"_MIN", "_MAX", "_ARRAYSIZE"}) names.insert(bound + suffix);
  for (int i = 0; i < e.value_count(); ++i) {
    const pb::EnumValueDescriptor& v = *e.value(i);
    names.insert(e.containing_type() == nullptr ? pbcpp::EnumValueName(&v) : cls + "_" + v.name());
  }
}

void AddMessageNames(const pb::Descriptor& m, std::set<std::string>& names) {
  names.insert(pbcpp::ClassName(&m));
  for (int i = 0; i < m.nested_type_count(); ++i) AddMessageNames(*m.nested_type(i), names);
  for (int i = 0; i < m.enum_type_count(); ++i) AddEnumNames(*m.enum_type(i), names);
}

// Every name at the package's namespace scope that a service class must not
// take: protobuf's (messages, enums, values, file extensions) and the proto
// names of the package's services, from `file` and the files it imports.
void AddPackageNames(const pb::FileDescriptor& file, std::string_view package,
                     std::set<const pb::FileDescriptor*>& seen, std::set<std::string>& names) {
  if (!seen.insert(&file).second) return;
  for (int i = 0; i < file.dependency_count(); ++i) {
    AddPackageNames(*file.dependency(i), package, seen, names);
  }
  if (file.package() != package) return;
  for (int i = 0; i < file.message_type_count(); ++i) AddMessageNames(*file.message_type(i), names);
  for (int i = 0; i < file.enum_type_count(); ++i) AddEnumNames(*file.enum_type(i), names);
  for (int i = 0; i < file.extension_count(); ++i) names.insert(file.extension(i)->name());
  for (int i = 0; i < file.service_count(); ++i) {
    // With cc_generic_services protobuf itself emits a class per service.
    if (file.options().cc_generic_services()) names.insert(file.service(i)->name());
  }
}

}  // namespace

std::string CppNamespace(const pb::FileDescriptor& file) {
  std::string ns;
  std::string_view package = file.package();
  while (!package.empty()) {
    const size_t dot = package.find('.');
    ns += "::";
    ns += package.substr(0, dot);
    package = dot == std::string_view::npos ? std::string_view() : package.substr(dot + 1);
  }
  return ns;
}

std::map<const pb::ServiceDescriptor*, std::string> ServiceClassNames(
    const pb::FileDescriptor& file) {
  std::set<std::string> package_names;
  std::set<const pb::FileDescriptor*> seen;
  AddPackageNames(file, file.package(), seen, package_names);
  // Other services' proto names stay theirs (their class keeps the name if
  // it can); a service's own name is not in the way of itself.
  std::set<std::string> service_names;
  for (int i = 0; i < file.service_count(); ++i) service_names.insert(file.service(i)->name());

  std::map<const pb::ServiceDescriptor*, std::string> names;
  std::set<std::string> given;
  for (int i = 0; i < file.service_count(); ++i) {
    const pb::ServiceDescriptor& service = *file.service(i);
    std::set<std::string> taken = package_names;
    taken.insert(given.begin(), given.end());
    for (const std::string& other : service_names) {
      if (other != service.name()) taken.insert(other);
    }
    // A class may not have a member named like itself.
    taken.insert({"Service", "Client", "Register"});
    for (int m = 0; m < service.method_count(); ++m)
      taken.insert(MethodConstant(*service.method(m)));
    std::string name = FreeName(service.name(), taken);
    given.insert(name);
    names[&service] = std::move(name);
  }
  return names;
}

std::map<const pb::MethodDescriptor*, std::string> MethodNames(
    const pb::ServiceDescriptor& service) {
  std::set<std::string> proto_names;
  for (int i = 0; i < service.method_count(); ++i) proto_names.insert(service.method(i)->name());

  std::map<const pb::MethodDescriptor*, std::string> names;
  std::set<std::string> given;
  for (int i = 0; i < service.method_count(); ++i) {
    const pb::MethodDescriptor& method = *service.method(i);
    // The classes' own names (a member may not be named like its class) and
    // the client's one data member.
    std::set<std::string> taken = {"Service", "Client", "conn_"};
    taken.insert(given.begin(), given.end());
    for (const std::string& other : proto_names) {
      if (other != method.name()) taken.insert(other);
    }
    std::string name = FreeName(method.name(), taken);
    given.insert(name);
    names[&method] = std::move(name);
  }
  return names;
}

std::string MethodConstant(const pb::MethodDescriptor& method) { return "k" + method.name(); }

}  // namespace drpc::codegen
