// One call of each shape (unary, server stream, client stream, bidi) of a
// tiny "Text" service, written with the hand-written API of drpc::rpc and
// std::string messages (BytesCodec), so this project needs no protoc. The
// same code runs on the OS backend and in the simulator.
#pragma once

#include <string>
#include <vector>

#include "drpc/base/status.h"
#include "drpc/rpc/client_stream.h"
#include "drpc/rpc/conn.h"
#include "drpc/rpc/mux.h"
#include "drpc/rpc/server_streams.h"

namespace consumer {

namespace rpc = drpc::rpc;
using drpc::Status;

inline constexpr char kUpper[] = "/consumer.Text/Upper";      // unary
inline constexpr char kSplit[] = "/consumer.Text/Split";      // server stream
inline constexpr char kJoin[] = "/consumer.Text/Join";        // client stream
inline constexpr char kReverse[] = "/consumer.Text/Reverse";  // bidi

inline void RegisterText(rpc::Mux& mux) {
  mux.RegisterUnary<std::string, std::string>(
      kUpper, [](rpc::ServerCall&, const std::string& in, std::string& out) {
        out = in;
        for (char& c : out) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
        return drpc::OkStatus();
      });
  mux.RegisterServerStream<std::string, std::string>(
      kSplit, [](rpc::ServerCall&, const std::string& in, rpc::ServerWriter<std::string>& out) {
        for (char c : in) {
          Status st = out.Send(std::string(1, c));
          if (!st.ok()) return st;
        }
        return drpc::OkStatus();
      });
  mux.RegisterClientStream<std::string, std::string>(
      kJoin, [](rpc::ServerCall&, rpc::ServerReader<std::string>& in, std::string& out) {
        std::string part;
        Status st;
        while ((st = in.Recv(part)).ok()) out += part;
        return st.kind() == drpc::ErrorKind::kEof ? drpc::OkStatus() : st;
      });
  mux.RegisterBidiStream<std::string, std::string>(
      kReverse, [](rpc::ServerCall&, rpc::ServerReaderWriter<std::string, std::string>& stream) {
        std::string word;
        Status st;
        while ((st = stream.Recv(word)).ok()) {
          std::string reversed(word.rbegin(), word.rend());
          Status sent = stream.Send(reversed);
          if (!sent.ok()) return sent;
        }
        return st.kind() == drpc::ErrorKind::kEof ? drpc::OkStatus() : st;
      });
}

// Makes the four calls on `conn`; returns what went wrong, or "" when every
// answer is the expected one.
inline std::string CallEachShape(rpc::Conn& conn) {
  std::string reply;
  if (Status st = conn.Invoke(kUpper, std::string("drpc"), reply); !st.ok()) {
    return "unary: " + st.ToString();
  }
  if (reply != "DRPC") return "unary: got '" + reply + "'";

  auto split = conn.NewStream<std::string, std::string>(kSplit);
  if (!split.ok()) return "server stream: " + split.status().ToString();
  if (Status st = split->Send("abc"); !st.ok()) return "server stream send: " + st.ToString();
  if (Status st = split->CloseSend(); !st.ok()) return "server stream close: " + st.ToString();
  std::vector<std::string> parts;
  std::string part;
  Status st;
  while ((st = split->Recv(part)).ok()) parts.push_back(part);
  if (st.kind() != drpc::ErrorKind::kEof) return "server stream: " + st.ToString();
  if (parts != std::vector<std::string>{"a", "b", "c"}) return "server stream: wrong parts";

  auto join = conn.NewStream<std::string, std::string>(kJoin);
  if (!join.ok()) return "client stream: " + join.status().ToString();
  for (const char* p : {"x", "y", "z"}) {
    if (Status sent = join->Send(p); !sent.ok()) return "client stream send: " + sent.ToString();
  }
  std::string joined;
  if (Status got = join->CloseAndRecv(joined); !got.ok()) {
    return "client stream: " + got.ToString();
  }
  if (joined != "xyz") return "client stream: got '" + joined + "'";

  auto reverse = conn.NewStream<std::string, std::string>(kReverse);
  if (!reverse.ok()) return "bidi: " + reverse.status().ToString();
  for (const char* word : {"stressed", "drawer"}) {
    if (Status sent = reverse->Send(word); !sent.ok()) return "bidi send: " + sent.ToString();
    std::string back;
    if (Status got = reverse->Recv(back); !got.ok()) return "bidi recv: " + got.ToString();
    std::string expected(word);
    expected.assign(expected.rbegin(), expected.rend());
    if (back != expected) return "bidi: got '" + back + "'";
  }
  if (Status closed = reverse->CloseSend(); !closed.ok()) return "bidi close: " + closed.ToString();
  if (Status end = reverse->Recv(part); end.kind() != drpc::ErrorKind::kEof) {
    return "bidi end: " + end.ToString();
  }
  return "";
}

}  // namespace consumer
