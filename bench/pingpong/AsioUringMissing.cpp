// Built where standalone Asio or liburing is missing: the asio uring column
// shows 0, and says why.
#include "PingPong.h"

#include <cstdio>

namespace pingpong {

bench::Window RunAsioUring(const Cell&) {
    static bool said = false;
    if (!said) {
        std::fprintf(stderr,
                     "PingPongBench: no asio uring column (built without libasio-dev "
                     "or liburing-dev)\n");
        said = true;
    }
    return {};
}

}  // namespace pingpong
