// The QApplication a Qt suite needs, on Qt's offscreen platform so that the
// suites run without a display (CI has none).
#pragma once

#include <QApplication>
#include <QByteArray>

#include <cstring>
#include <memory>

namespace xsock::test {

class OffscreenApplication {
  public:
    // `name` becomes argv[0] (at most 31 characters).
    explicit OffscreenApplication(const char* name) {
        std::strncpy(name_, name, sizeof name_ - 1);
        qputenv("QT_QPA_PLATFORM", "offscreen");
        app_ = std::make_unique<QApplication>(argc_, argv_);
    }

  private:
    int argc_ = 1;
    char name_[32] = {};
    char* argv_[2] = {name_, nullptr};
    std::unique_ptr<QApplication> app_;
};

}  // namespace xsock::test
