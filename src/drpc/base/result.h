// drpc::Result<T>: a value or a non-ok Status (std::expected is C++23).
//
//   Result<std::unique_ptr<rt::Transport>> t = rt::os::TcpConnect("127.0.0.1", 9090);
//   if (!t.ok()) return t.status();
//   Use(std::move(*t));
//
// See docs/base.md, "Errors".
#pragma once

#include <utility>
#include <variant>

#include "drpc/base/check.h"
#include "drpc/base/status.h"

namespace drpc {

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit on purpose
  Result(Status status) : v_(std::move(status)) {  // NOLINT: implicit on purpose
    DRPC_ASSERT(!std::get<Status>(v_).ok(), "a Result made from a Status must hold an error");
  }

  bool ok() const { return v_.index() == 0; }
  const T& value() const& {
    DRPC_ASSERT(ok(), "value() of an error Result");
    return std::get<0>(v_);
  }
  T& value() & {
    DRPC_ASSERT(ok(), "value() of an error Result");
    return std::get<0>(v_);
  }
  T&& value() && {
    DRPC_ASSERT(ok(), "value() of an error Result");
    return std::get<0>(std::move(v_));
  }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  // On a temporary, the value as an rvalue: `T t = *MakeResult();` and
  // `std::move(*TcpConnect(...))` move it out. (Without this overload the
  // const& one binds, and moving a move-only T fails to compile.)
  T&& operator*() && { return std::move(*this).value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }

  // The error, or an ok Status when a value is present.
  Status status() const { return ok() ? Status() : std::get<1>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace drpc
