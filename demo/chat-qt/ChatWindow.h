// ChatWindow: the messenger (demo/messenger/Mesh.h) as a Qt Widgets window,
// a second thin front end over the same core as the terminal program. It
// owns the Mesh and fills its Ui: lines go to a read-only chat view (the core
// has made peer text safe already, and the view shows plain text only), the
// peers to a list, a stranger waiting for trust to a bar with its name and
// key and a Trust button, file offers to rows with Accept and Reject, and
// transfers to a progress bar. The input line takes what the terminal takes:
// chat lines and the same slash commands (Commands.h).
//
// The widgets have object names (chat, input, peers, trustBar, trust,
// inviteCode, progress, offer-N, accept-N, reject-N) so tests can find them.
// Thread safety: the GUI thread's only, which must own the loop and have it
// attached to Qt (xsock::AttachToQt).
#pragma once

#include <Mesh.h>
#include <Ui.h>

#include <QMainWindow>

#include <filesystem>
#include <optional>
#include <string>

class QLabel;
class QLineEdit;
class QListWidget;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QVBoxLayout;
class QWidget;

namespace chatqt {

class ChatWindow : public QMainWindow {
  public:
    // Throws std::runtime_error if the identity's key pair cannot be used.
    ChatWindow(xsock::SocketLoop& loop, const std::string& name,
               const std::filesystem::path& downloads, demo::Identity identity,
               messenger::Transfers::Limits fileLimits = {});
    ~ChatWindow() override;

    messenger::Mesh& Mesh() noexcept { return *mesh_; }
    // Adds a line to the chat view.
    void Print(const std::string& line);
    // Opens an invite code and shows it (the Invite action).
    void ShowInvite();

  protected:
    void closeEvent(QCloseEvent* event) override;

  private:
    void Submit();
    void RefreshPeers();
    void ShowOffer(const messenger::OfferShown& offer);
    void RemoveOffer(int number);
    void ShowProgress(const messenger::TransferShown& transfer);

    messenger::Ui ui_;
    std::optional<messenger::Mesh> mesh_;
    QPlainTextEdit* chat_ = nullptr;
    QLineEdit* input_ = nullptr;
    QListWidget* peers_ = nullptr;
    QWidget* trustBar_ = nullptr;
    QLabel* trustText_ = nullptr;
    QPushButton* trustButton_ = nullptr;
    std::string trustName_;  // the stranger the bar offers to trust
    QVBoxLayout* offers_ = nullptr;
    QLabel* inviteCode_ = nullptr;
    QProgressBar* progress_ = nullptr;
};

}  // namespace chatqt
