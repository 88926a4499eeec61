// errno, read through a call the compiler cannot see into. errno lives in
// thread-local storage and glibc declares its accessor `const`, so within one
// function the compiler may compute its address once; a fiber that parks
// between two reads may resume on another worker thread and would read the
// first thread's errno. Fiber code that can park reads errno only this way.
// Internal to src/drpc/rt/fiber.
#pragma once

namespace drpc::rt::fiber {

int LastErrno();

}  // namespace drpc::rt::fiber
