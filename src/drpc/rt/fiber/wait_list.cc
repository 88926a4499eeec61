// The intrusive waiter lists of mutexes and condvars (scheduler.h). Callers
// hold the list's spin lock.
#include "drpc/rt/fiber/scheduler.h"

namespace drpc::rt::fiber {

void PushBack(detail::WaitList& list, WaitNode* node) {
  node->next = nullptr;
  node->prev = list.tail;
  if (list.tail != nullptr) {
    list.tail->next = node;
  } else {
    list.head = node;
  }
  list.tail = node;
  node->queued = true;
}

WaitNode* PopFront(detail::WaitList& list) {
  WaitNode* node = list.head;
  if (node != nullptr) Remove(list, node);
  return node;
}

void Remove(detail::WaitList& list, WaitNode* node) {
  if (node->prev != nullptr) {
    node->prev->next = node->next;
  } else {
    list.head = node->next;
  }
  if (node->next != nullptr) {
    node->next->prev = node->prev;
  } else {
    list.tail = node->prev;
  }
  node->prev = node->next = nullptr;
  node->queued = false;
}

}  // namespace drpc::rt::fiber
