// drpc::UniqueFunction<R(Args...)>: a move-only callable wrapper (C++23 has
// std::move_only_function), for task bodies that capture move-only state.
//
//   UniqueFunction<void()> body = [buffer = std::move(buffer)] { Use(buffer); };
//   rt::Task task = rt::spawn("worker", std::move(body));
//
// Small callables are stored inline, so moving a UniqueFunction may move the
// callable: do not hand out pointers into its captures. See docs/base.md.
#pragma once

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

#include "drpc/base/check.h"

namespace drpc {

template <class Signature>
class UniqueFunction;

template <class R, class... Args>
class UniqueFunction<R(Args...)> {
 public:
  UniqueFunction() = default;
  template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, UniqueFunction>>>
  UniqueFunction(F&& f) {  // NOLINT: implicit like std::function
    using Fn = std::decay_t<F>;
    if constexpr (kStoredInline<Fn>) {
      ::new (static_cast<void*>(storage_)) Fn(std::forward<F>(f));
      ops_ = &kInlineOps<Fn>;
    } else {
      *reinterpret_cast<Fn**>(storage_) = new Fn(std::forward<F>(f));
      ops_ = &kHeapOps<Fn>;
    }
  }
  UniqueFunction(UniqueFunction&& other) noexcept { TakeFrom(other); }
  UniqueFunction& operator=(UniqueFunction&& other) noexcept {
    if (this != &other) {
      Reset();
      TakeFrom(other);
    }
    return *this;
  }
  ~UniqueFunction() { Reset(); }

  explicit operator bool() const { return ops_ != nullptr; }
  R operator()(Args... args) {
    DRPC_ASSERT(ops_ != nullptr, "call of an empty UniqueFunction");
    return ops_->call(storage_, std::forward<Args>(args)...);
  }

 private:
  static constexpr size_t kInlineBytes = 3 * sizeof(void*);

  // What the stored callable's type knows how to do, one table per type.
  struct Ops {
    R (*call)(void* storage, Args&&... args);
    // Move-constructs the callable from `from` into `to` and ends `from`'s.
    void (*relocate)(void* from, void* to) noexcept;
    void (*destroy)(void* storage) noexcept;
  };

  template <class Fn>
  static constexpr bool kStoredInline =
      sizeof(Fn) <= kInlineBytes &&
      alignof(Fn) <= alignof(void*) && std::is_nothrow_move_constructible_v<Fn>;

  template <class Fn>
  static R CallInline(void* storage, Args&&... args) {
    return (*static_cast<Fn*>(storage))(std::forward<Args>(args)...);
  }
  template <class Fn>
  static void RelocateInline(void* from, void* to) noexcept {
    Fn* source = static_cast<Fn*>(from);
    ::new (to) Fn(std::move(*source));
    source->~Fn();
  }
  template <class Fn>
  static void DestroyInline(void* storage) noexcept {
    static_cast<Fn*>(storage)->~Fn();
  }
  template <class Fn>
  static R CallHeap(void* storage, Args&&... args) {
    return (**static_cast<Fn**>(storage))(std::forward<Args>(args)...);
  }
  template <class Fn>
  static void RelocateHeap(void* from, void* to) noexcept {
    *static_cast<Fn**>(to) = *static_cast<Fn**>(from);
  }
  template <class Fn>
  static void DestroyHeap(void* storage) noexcept {
    delete *static_cast<Fn**>(storage);
  }

  template <class Fn>
  static constexpr Ops kInlineOps{&CallInline<Fn>, &RelocateInline<Fn>, &DestroyInline<Fn>};
  template <class Fn>
  static constexpr Ops kHeapOps{&CallHeap<Fn>, &RelocateHeap<Fn>, &DestroyHeap<Fn>};

  void TakeFrom(UniqueFunction& other) noexcept {
    if (other.ops_ == nullptr) return;
    other.ops_->relocate(other.storage_, storage_);
    ops_ = other.ops_;
    other.ops_ = nullptr;
  }
  void Reset() noexcept {
    if (ops_ == nullptr) return;
    ops_->destroy(storage_);
    ops_ = nullptr;
  }

  const Ops* ops_ = nullptr;
  // The callable (kStoredInline) or a pointer to it on the heap.
  alignas(void*) unsigned char storage_[kInlineBytes];
};

}  // namespace drpc
