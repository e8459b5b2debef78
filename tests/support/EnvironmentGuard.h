// Sets or unsets an environment variable (XSOCK_BACKEND, say) for one test
// and puts the old value back, or removes it again, when the guard goes.
// setenv is not thread-safe: change the variable while no other thread of
// the test reads the environment.
#pragma once

#include <stdlib.h>

#include <cstdlib>
#include <optional>
#include <string>

namespace xsock::test {

class EnvironmentGuard {
  public:
    explicit EnvironmentGuard(const char* name) : name_(name) {
        if (const char* value = std::getenv(name)) {
            saved_ = value;
        }
    }
    ~EnvironmentGuard() {
        if (saved_) {
            ::setenv(name_, saved_->c_str(), 1);
        } else {
            ::unsetenv(name_);
        }
    }
    EnvironmentGuard(const EnvironmentGuard&) = delete;
    EnvironmentGuard& operator=(const EnvironmentGuard&) = delete;

    void Set(const char* value) const { ::setenv(name_, value, 1); }
    void Unset() const { ::unsetenv(name_); }

  private:
    const char* name_;
    std::optional<std::string> saved_;
};

}  // namespace xsock::test
