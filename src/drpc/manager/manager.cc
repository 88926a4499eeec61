#include "drpc/manager/manager.h"

#include "drpc/manager/manager_impl.h"

namespace drpc::manager {

std::string_view ManagerBugName(ManagerBug bug) {
  switch (bug) {
    case ManagerBug::kNone:
      return "none";
    case ManagerBug::kLeakDroppedStreams:
      return "leak-dropped-streams";
    case ManagerBug::kCloseWaitsForTermOnly:
      return "close-waits-for-term-only";
    case ManagerBug::kRegisterAfterClose:
      return "register-after-close";
    case ManagerBug::kDropInterleavedFrame:
      return "drop-interleaved-frame";
  }
  DRPC_ASSERT(false, "unknown ManagerBug");
}

namespace detail {

std::vector<std::shared_ptr<stream::Stream>>& PlantedLeakGraveyard() {
  static auto* graveyard = new std::vector<std::shared_ptr<stream::Stream>>();
  return *graveyard;
}

bool LooksLikeReset(const Status& err) {
  const std::string& text = err.message();
  return text.find("connection reset by peer") != std::string::npos ||
         text.find("forcibly closed by the remote host") != std::string::npos;
}

}  // namespace detail

template class BasicManager<ManagerPolicy<>>;

}  // namespace drpc::manager
