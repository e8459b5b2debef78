// xsock-chat-qt's window (demo/chat-qt/ChatWindow.h) driven in-process under
// Qt's offscreen platform, its loop attached to Qt, against terminal
// xsock-messenger peers run as processes: it joins by an invite code, lines
// cross both ways, a stranger is trusted from the trust bar, and a file
// offered by a terminal peer is accepted with the window's button. Nothing
// sleeps: nested QEventLoops run until a condition holds, with a deadline.
#include "MessengerPeers.h"
#include "QtTestSupport.h"

#include <ChatWindow.h>

#include <xsock/Qt.h>
#include <xsock/SocketLoop.h>

#include <QAbstractEventDispatcher>
#include <QAction>
#include <QEventLoop>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QTest>
#include <QTimer>

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <string>

using namespace messenger::test;

namespace {

struct Application : xsock::test::OffscreenApplication {
    Application() : OffscreenApplication("ChatQtTest") {}
};

// Runs a nested QEventLoop until `done()` holds (checked each time Qt is
// about to sleep, and every 50 ms for output from the peers' pipes, which Qt
// does not watch), or the deadline.
bool RunUntil(const std::function<bool()>& done) {
    if (done()) {
        return true;
    }
    QEventLoop loop;
    QTimer::singleShot(std::chrono::milliseconds(kDeadline), &loop, &QEventLoop::quit);
    QTimer poll;
    auto check = [&] {
        if (done()) {
            loop.quit();
        }
    };
    QObject::connect(&poll, &QTimer::timeout, &loop, check);
    poll.start(std::chrono::milliseconds(50));
    QObject::connect(QAbstractEventDispatcher::instance(), &QAbstractEventDispatcher::aboutToBlock,
                     &loop, check);
    loop.exec();
    return done();
}

// The test thread's loop, run by Qt (one attachment a thread).
struct QtLoop {
    xsock::SocketLoop loop{{xsock::SocketLoop::Backend::Epoll}};
    xsock::QtAttachment attachment = xsock::AttachToQt(loop);
};

// A window with its own key, listening on a loopback port.
struct WindowPeer {
    WindowPeer(QtLoop& qt, const TempDir& dir, const std::string& name = "window") {
        ::setenv("XDG_CONFIG_HOME", Config(dir).c_str(), 1);
        std::string why;
        std::optional<demo::Identity> identity = demo::LoadIdentity("messenger-" + name, why);
        BOOST_TEST_REQUIRE(identity.has_value(), why);
        downloads = dir.Path() / (name + "-downloads");
        window.emplace(qt.loop, name, downloads, *identity);
        std::error_code error;
        auto where = xsock::SocketAddress::FromHostAndPort("127.0.0.1", 0, error);
        BOOST_TEST_REQUIRE(window->Mesh().Listen(where, why), why);
        address = window->Mesh().ListenAddress().ToString();
        window->show();
    }

    void Type(const std::string& line) {
        auto* input = window->findChild<QLineEdit*>("input");
        BOOST_TEST_REQUIRE(input != nullptr);
        QTest::keyClicks(input, QString::fromStdString(line));
        QTest::keyClick(input, Qt::Key_Return);
    }
    bool Shows(const std::string& text) const {
        return window->findChild<QPlainTextEdit*>("chat")->toPlainText().contains(
            QString::fromStdString(text));
    }
    // The Accept button of an offer on show, or null.
    QPushButton* AcceptButton() const {
        auto buttons = window->findChildren<QPushButton*>(QRegularExpression("^accept-[0-9]+$"));
        return buttons.isEmpty() ? nullptr : buttons.front();
    }
    std::string Chat() const {
        return window->findChild<QPlainTextEdit*>("chat")->toPlainText().toStdString();
    }

    std::filesystem::path downloads;
    std::optional<chatqt::ChatWindow> window;
    std::string address;
};

}  // namespace

BOOST_AUTO_TEST_CASE(WindowJoinsATerminalPeerAndLinesCrossBothWays) {
    Application application;
    TempDir dir;
    Peer alice("alice", dir);
    QtLoop qt;
    WindowPeer window(qt, dir);

    window.Type("/connect " + alice.address + " " + alice.code);
    BOOST_TEST_REQUIRE(RunUntil([&] {
                           return alice.child.Seen("^\\* window joined") &&
                                  window.Shows("* alice joined");
                       }),
                       window.Chat() << alice.child.Transcript());
    auto* peers = window.window->findChild<QListWidget*>("peers");
    BOOST_TEST_REQUIRE(peers->count() == 1);
    BOOST_TEST(peers->item(0)->text().toStdString().starts_with("alice ("));

    window.Type("hello from the window");
    BOOST_TEST(RunUntil([&] { return alice.child.Seen("^<window> hello from the window$"); }),
               alice.child.Transcript());
    BOOST_TEST(window.window->findChild<QLineEdit*>("input")->text().isEmpty());

    // A peer's line reaches the view as plain text, its escape made visible.
    alice.child.Send("hello from the terminal \x1b[2J");
    BOOST_TEST(RunUntil([&] { return window.Shows("<alice> hello from the terminal"); }),
               window.Chat());
    BOOST_TEST(window.Chat().find('\x1b') == std::string::npos);
}

BOOST_AUTO_TEST_CASE(TrustBarShowsTheStrangersKeyAndTrustsIt) {
    Application application;
    TempDir dir;
    QtLoop qt;
    WindowPeer window(qt, dir);
    const std::string bobKey = KeyOf(dir, "bob");
    Peer bob("bob", dir, {"--connect", window.address});

    // Each side holds the other until its user trusts it.
    auto* bar = window.window->findChild<QWidget*>("trustBar");
    BOOST_TEST_REQUIRE(RunUntil([&] {
                           return bar->isVisible() &&
                                  bob.child.Seen(
                                      "^\\* window \\(127\\.0\\.0\\.1:[0-9]+\\) is "
                                      "not trusted yet");
                       }),
                       window.Chat() << bob.child.Transcript());
    auto* text = bar->findChild<QLabel*>();
    BOOST_TEST(text->text().toStdString().find("bob") != std::string::npos);
    BOOST_TEST(text->text().toStdString().find(bobKey) != std::string::npos);

    QTest::mouseClick(bar->findChild<QPushButton*>("trust"), Qt::LeftButton);
    BOOST_TEST(RunUntil([&] { return window.Shows("* bob joined"); }), window.Chat());
    BOOST_TEST(!bar->isVisible());
    bob.child.Send("/trust window");
    BOOST_TEST_REQUIRE(RunUntil([&] { return bob.child.Seen("^\\* window joined"); }),
                       bob.child.Transcript() << window.Chat());
    bob.child.Send("now we can talk");
    BOOST_TEST(RunUntil([&] { return window.Shows("<bob> now we can talk"); }), window.Chat());
}

BOOST_AUTO_TEST_CASE(FileOfferIsAcceptedWithTheWindowsButton) {
    Application application;
    TempDir dir;
    Peer alice("alice", dir);
    QtLoop qt;
    WindowPeer window(qt, dir);
    window.Type("/connect " + alice.address + " " + alice.code);
    BOOST_TEST_REQUIRE(RunUntil([&] { return alice.child.Seen("^\\* window joined"); }),
                       alice.child.Transcript());

    const std::filesystem::path file = dir.Path() / "report.txt";
    std::string contents(300'000, 'x');
    for (std::size_t i = 0; i < contents.size(); i += 7) {
        contents[i] = static_cast<char>('a' + i % 26);
    }
    std::ofstream(file, std::ios::binary) << contents;
    alice.child.Send("/send window " + file.string());

    QPushButton* accept = nullptr;
    BOOST_TEST_REQUIRE(RunUntil([&] {
                           accept = window.AcceptButton();
                           return accept != nullptr;
                       }),
                       window.Chat());
    QTest::mouseClick(accept, Qt::LeftButton);
    BOOST_TEST_REQUIRE(
        RunUntil([&] { return alice.child.Seen("^\\* sent report\\.txt to window"); }),
        alice.child.Transcript());
    BOOST_TEST(RunUntil([&] { return window.Shows("* received report.txt"); }), window.Chat());
    BOOST_TEST(ReadAll(window.downloads / "report.txt") == contents);
    BOOST_TEST(RunUntil([&] { return window.AcceptButton() == nullptr; }));
    // The progress bar was driven to the end, and is put away.
    auto* progress = window.window->findChild<QProgressBar*>("progress");
    BOOST_TEST(progress->maximum() == 1000);
    BOOST_TEST(progress->value() == 1000);
    BOOST_TEST(!progress->isVisible());

    // A second offer, refused with the Reject button.
    const std::size_t from = alice.child.LineCount();
    alice.child.Send("/send window " + file.string());
    QPushButton* reject = nullptr;
    BOOST_TEST_REQUIRE(RunUntil([&] {
                           auto buttons = window.window->findChildren<QPushButton*>(
                               QRegularExpression("^reject-[0-9]+$"));
                           reject = buttons.isEmpty() ? nullptr : buttons.front();
                           return reject != nullptr && reject->isVisible();
                       }),
                       window.Chat());
    QTest::mouseClick(reject, Qt::LeftButton);
    BOOST_TEST(RunUntil([&] { return alice.child.Seen("^\\* window refused report\\.txt", from); }),
               alice.child.Transcript());
    BOOST_TEST(RunUntil([&] { return window.AcceptButton() == nullptr; }));
}

// Two windows and a terminal peer: both windows join through alice's invite
// codes and meet each other because alice vouches for each; a line typed in
// one window reaches the other window and the terminal.
BOOST_AUTO_TEST_CASE(TwoWindowsAndATerminalFormAMesh) {
    Application application;
    TempDir dir;
    Peer alice("alice", dir);
    QtLoop qt;
    WindowPeer one(qt, dir, "one");
    WindowPeer two(qt, dir, "two");

    one.Type("/connect " + alice.address + " " + alice.code);
    BOOST_TEST_REQUIRE(RunUntil([&] { return alice.child.Seen("^\\* one joined"); }),
                       alice.child.Transcript());
    const std::size_t from = alice.child.LineCount();
    alice.child.Send("/invite");
    BOOST_TEST_REQUIRE(RunUntil([&] { return alice.child.Seen("^\\* invite code: ", from); }));
    std::string line = alice.child.WaitFor("^\\* invite code: ", from);
    two.Type("/connect " + alice.address + " " + line.substr(line.find("code: ") + 6, 14));
    BOOST_TEST_REQUIRE(RunUntil([&] {
                           return alice.child.Seen("^\\* two joined") &&
                                  one.Shows("* two joined") && two.Shows("* one joined");
                       }),
                       one.Chat() << two.Chat() << alice.child.Transcript());

    one.Type("a line for everyone");
    BOOST_TEST(RunUntil([&] {
                   return two.Shows("<one> a line for everyone") &&
                          alice.child.Seen("^<one> a line for everyone$");
               }),
               two.Chat() << alice.child.Transcript());
    auto* peers = two.window->findChild<QListWidget*>("peers");
    BOOST_TEST(peers->count() == 2);
}

// The Invite action shows a code, and a terminal peer that dials the window
// with it is paired with no trust prompt on either side.
BOOST_AUTO_TEST_CASE(TerminalPeerJoinsWithTheWindowsInviteCode) {
    Application application;
    TempDir dir;
    QtLoop qt;
    WindowPeer window(qt, dir);
    QAction* invite = nullptr;
    for (QAction* action : window.window->findChildren<QAction*>()) {
        invite = action->text() == "Invite" ? action : invite;
    }
    BOOST_TEST_REQUIRE(invite != nullptr);
    invite->trigger();
    const std::string shown = window.window->findChild<QLabel*>("inviteCode")->text().toStdString();
    BOOST_TEST_REQUIRE(shown.starts_with("invite code: "));
    const std::string code = shown.substr(shown.find(": ") + 2);
    BOOST_TEST_REQUIRE(code.size() == 14u);

    Peer bob("bob", dir, {"--connect", window.address, "--code", code});
    BOOST_TEST(RunUntil([&] {
                   return bob.child.Seen("^\\* window joined") && window.Shows("* bob joined");
               }),
               window.Chat() << bob.child.Transcript());
    BOOST_TEST(!window.window->findChild<QWidget*>("trustBar")->isVisible());
    BOOST_TEST(window.Shows("paired with the invite code"));
}
