// One call of each shape (unary, server stream, client stream, bidi) of the
// consumer's Texts service (text.proto), through the code protoc-gen-drpc-cpp
// generated from the installed package; and a method the server does not
// implement, which must answer Unimplemented. The same code runs on the OS
// backend and in the simulator.
#pragma once

#include <string>
#include <vector>

#include "drpc/base/status.h"
#include "drpc/rpc/conn.h"
#include "drpc/rpc/mux.h"
#include "text.drpc.h"

namespace consumer {

namespace rpc = drpc::rpc;
using drpc::Status;

inline Text Make(std::string value) {
  Text t;
  t.set_value(std::move(value));
  return t;
}

// Implements every method but Later.
class TextsImpl final : public Texts::Service {
 public:
  Status Upper(rpc::ServerCall&, const Text& in, Text& out) override {
    std::string up = in.value();
    for (char& c : up) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    out.set_value(up);
    return drpc::OkStatus();
  }
  Status Split(rpc::ServerCall&, const Text& in, rpc::ServerWriter<Text>& out) override {
    for (char c : in.value()) {
      if (Status st = out.Send(Make(std::string(1, c))); !st.ok()) return st;
    }
    return drpc::OkStatus();
  }
  Status Join(rpc::ServerCall&, rpc::ServerReader<Text>& in, Text& out) override {
    Text part;
    Status st;
    while ((st = in.Recv(part)).ok()) out.mutable_value()->append(part.value());
    return st.kind() == drpc::ErrorKind::kEof ? drpc::OkStatus() : st;
  }
  Status Reverse(rpc::ServerCall&, rpc::ServerReaderWriter<Text, Text>& stream) override {
    Text word;
    Status st;
    while ((st = stream.Recv(word)).ok()) {
      const std::string& w = word.value();
      if (Status sent = stream.Send(Make(std::string(w.rbegin(), w.rend()))); !sent.ok()) {
        return sent;
      }
    }
    return st.kind() == drpc::ErrorKind::kEof ? drpc::OkStatus() : st;
  }
};

// Registers the service on `mux`; `impl` must outlive the server.
inline void RegisterTexts(rpc::Mux& mux, TextsImpl& impl) { Texts::Register(mux, impl); }

// Makes the calls on `conn`; returns what went wrong, or "" when every answer
// is the expected one.
inline std::string CallEachShape(rpc::Conn& conn) {
  Texts::Client client(conn);
  Text reply;
  if (Status st = client.Upper(Make("drpc"), reply); !st.ok()) return "unary: " + st.ToString();
  if (reply.value() != "DRPC") return "unary: got '" + reply.value() + "'";

  auto split = client.Split(Make("abc"));
  if (!split.ok()) return "server stream: " + split.status().ToString();
  std::vector<std::string> parts;
  Text part;
  Status st;
  while ((st = split->Recv(part)).ok()) parts.push_back(part.value());
  if (st.kind() != drpc::ErrorKind::kEof) return "server stream: " + st.ToString();
  if (parts != std::vector<std::string>{"a", "b", "c"}) return "server stream: wrong parts";

  auto join = client.Join();
  if (!join.ok()) return "client stream: " + join.status().ToString();
  for (const char* p : {"x", "y", "z"}) {
    if (Status sent = join->Send(Make(p)); !sent.ok()) {
      return "client stream send: " + sent.ToString();
    }
  }
  Text joined;
  if (Status got = join->CloseAndRecv(joined); !got.ok()) {
    return "client stream: " + got.ToString();
  }
  if (joined.value() != "xyz") return "client stream: got '" + joined.value() + "'";

  auto reverse = client.Reverse();
  if (!reverse.ok()) return "bidi: " + reverse.status().ToString();
  for (const char* word : {"stressed", "drawer"}) {
    if (Status sent = reverse->Send(Make(word)); !sent.ok()) return "bidi send: " + sent.ToString();
    Text back;
    if (Status got = reverse->Recv(back); !got.ok()) return "bidi recv: " + got.ToString();
    const std::string w(word);
    if (back.value() != std::string(w.rbegin(), w.rend())) {
      return "bidi: got '" + back.value() + "'";
    }
  }
  if (Status closed = reverse->CloseSend(); !closed.ok()) return "bidi close: " + closed.ToString();
  if (Status end = reverse->Recv(part); end.kind() != drpc::ErrorKind::kEof) {
    return "bidi end: " + end.ToString();
  }

  // A method the server does not override answers Unimplemented.
  Text later;
  const Status unimplemented = client.Later(Make("?"), later);
  if (unimplemented.ok()) return "unimplemented method: answered ok";
  if (unimplemented.code() != drpc::StatusCode::kUnimplemented) {
    return "unimplemented method: " + unimplemented.ToString();
  }
  return "";
}

}  // namespace consumer
