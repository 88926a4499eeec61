#include "drpc/manager/internal/managed_stream.h"

#include <string>
#include <utility>
#include <vector>

#include "drpc/base/check.h"
#include "drpc/base/plant.h"

namespace drpc::manager {
namespace {

// Where plant kManagerLeakDroppedStreams parks the streams that left the
// table: reachable (so leak checkers stay quiet) and never freed, so the
// buffers still queued in their rings never go back to the pool.
void ParkForever(std::shared_ptr<stream::Stream> stream) {
  static auto* graveyard = new std::vector<std::shared_ptr<stream::Stream>>();
  graveyard->push_back(std::move(stream));
}

}  // namespace

StreamHooks::StreamHooks(std::shared_ptr<LiveStreams> live, std::weak_ptr<StreamTable> table,
                         std::weak_ptr<OpenOrder> order)
    : live_(std::move(live)), table_(std::move(table)), order_(std::move(order)) {
  live_->count.fetch_add(1);
}

StreamHooks::~StreamHooks() { live_->count.fetch_sub(1); }

void StreamHooks::OnStreamFinished(stream::Stream& stream) {
  std::shared_ptr<StreamTable> table = table_.lock();
  DRPC_ASSERT(table != nullptr, "stream " + std::to_string(stream.id()) +
                                    " finished after its connection was destroyed");
  // Its wire id is retired: late frames for it are dropped.
  if (std::shared_ptr<OpenOrder> order = order_.lock()) order->Forget(stream.id());
  std::shared_ptr<stream::Stream> gone = table->OnFinished(stream.id());
  if (DRPC_PLANT(kManagerLeakDroppedStreams) && gone != nullptr) ParkForever(std::move(gone));
}

}  // namespace drpc::manager
