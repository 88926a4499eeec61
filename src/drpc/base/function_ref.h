// FunctionRef<R(Args...)>: a non-owning reference to a callable (a lambda, a
// functor or a plain function), for parameters that are called during the
// call only (sim::Run's body, rt::fiber::Park's arm). Unlike std::function it never allocates. The
// callable must outlive the call.
#pragma once

#include <memory>
#include <type_traits>
#include <utility>

namespace drpc {

template <class Signature>
class FunctionRef;

template <class R, class... Args>
class FunctionRef<R(Args...)> {
 public:
  template <class F, class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, FunctionRef> &&
                                              std::is_invocable_r_v<R, F&, Args...>>>
  FunctionRef(F&& f) {  // NOLINT: implicit, like a parameter of callable type
    using Target = std::remove_reference_t<F>;
    if constexpr (std::is_function_v<Target>) {
      target_.function = reinterpret_cast<void (*)()>(&f);
      call_ = [](Storage target, Args... args) -> R {
        return reinterpret_cast<Target*>(target.function)(std::forward<Args>(args)...);
      };
    } else {
      target_.object = const_cast<void*>(static_cast<const void*>(std::addressof(f)));
      call_ = [](Storage target, Args... args) -> R {
        return (*static_cast<Target*>(target.object))(std::forward<Args>(args)...);
      };
    }
  }

  R operator()(Args... args) const { return call_(target_, std::forward<Args>(args)...); }

 private:
  // Object and function pointers may differ in size, so both have a slot.
  union Storage {
    void* object;
    void (*function)();
  };
  Storage target_;
  R (*call_)(Storage, Args...);
};

}  // namespace drpc
