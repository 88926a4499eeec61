#include "drpc/rpc/conn.h"

#include <utility>

#include "drpc/base/check.h"

namespace drpc::rpc {

Conn::Conn(std::unique_ptr<rt::Transport> transport, ConnOptions options) {
  options.manager.role = manager::Role::kClient;
  manager_ = std::make_unique<manager::Manager>(std::move(transport), std::move(options.manager));
}

Conn& Conn::operator=(Conn&& other) noexcept {
  if (this == &other) return *this;
  if (manager_ != nullptr) (void)manager_->Close();
  manager_ = std::move(other.manager_);
  return *this;
}

Conn::~Conn() {
  if (manager_ != nullptr) (void)manager_->Close();
}

Status Conn::Close() { return manager().Close(); }

rt::Signal& Conn::closed() { return manager().term(); }

bool Conn::is_closed() const { return manager().closed(); }

manager::Manager& Conn::manager() const {
  DRPC_ASSERT(manager_ != nullptr, "use of a Conn that was moved from");
  return *manager_;
}

}  // namespace drpc::rpc
