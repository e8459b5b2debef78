// The messenger's Qt window (ChatWindow.h).
#include "ChatWindow.h"

#include <Commands.h>

#include <QCloseEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSplitter>
#include <QStatusBar>
#include <QToolBar>
#include <QVBoxLayout>

#include <utility>

namespace chatqt {

namespace {

QString Text(const std::string& text) {
    return QString::fromStdString(text);
}

}  // namespace

ChatWindow::ChatWindow(xsock::SocketLoop& loop, const std::string& name,
                       const std::filesystem::path& downloads, demo::Identity identity,
                       messenger::Transfers::Limits fileLimits) {
    ui_.print = [this](const std::string& line) { Print(line); };
    ui_.status = [this](const std::string& text) {
        statusBar()->showMessage(Text(text));
        if (text.empty()) {
            progress_->hide();  // the transfer ended, however it ended
        }
    };
    ui_.offer = [this](const messenger::OfferShown& offer) { ShowOffer(offer); };
    ui_.offerGone = [this](int number, const std::string&) { RemoveOffer(number); };
    ui_.progress = [this](const messenger::TransferShown& transfer) { ShowProgress(transfer); };
    setWindowTitle(Text("xsock chat: " + name));
    auto* central = new QWidget(this);
    auto* layout = new QVBoxLayout(central);

    trustBar_ = new QWidget(central);
    trustBar_->setObjectName("trustBar");
    auto* trustLayout = new QHBoxLayout(trustBar_);
    trustText_ = new QLabel(trustBar_);
    trustText_->setTextFormat(Qt::PlainText);
    trustText_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    trustButton_ = new QPushButton("Trust", trustBar_);
    trustButton_->setObjectName("trust");
    trustLayout->addWidget(trustText_, 1);
    trustLayout->addWidget(trustButton_);
    trustBar_->hide();
    connect(trustButton_, &QPushButton::clicked, this, [this] {
        if (!trustName_.empty()) {
            mesh_->Trust(trustName_);
            RefreshPeers();
        }
    });
    layout->addWidget(trustBar_);

    auto* splitter = new QSplitter(central);
    peers_ = new QListWidget(splitter);
    peers_->setObjectName("peers");
    chat_ = new QPlainTextEdit(splitter);
    chat_->setObjectName("chat");
    chat_->setReadOnly(true);
    splitter->addWidget(peers_);
    splitter->addWidget(chat_);
    splitter->setStretchFactor(1, 3);
    splitter->setSizes({210, 510});
    layout->addWidget(splitter, 1);

    offers_ = new QVBoxLayout;
    layout->addLayout(offers_);

    input_ = new QLineEdit(central);
    input_->setObjectName("input");
    input_->setPlaceholderText("a line for everyone, or /help");
    connect(input_, &QLineEdit::returnPressed, this, [this] { Submit(); });
    layout->addWidget(input_);
    setCentralWidget(central);

    QToolBar* tools = addToolBar("Messenger");
    tools->addAction("Invite", this, [this] { ShowInvite(); });
    inviteCode_ = new QLabel(this);
    inviteCode_->setObjectName("inviteCode");
    inviteCode_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    tools->addWidget(inviteCode_);

    progress_ = new QProgressBar(this);
    progress_->setObjectName("progress");
    progress_->hide();
    statusBar()->addPermanentWidget(progress_);
    resize(720, 480);
    input_->setFocus();
    // Last: the mesh may report through the Ui as it starts, into the widgets.
    mesh_.emplace(loop, ui_, name, downloads, std::move(identity), messenger::Bounds{}, fileLimits);
}

ChatWindow::~ChatWindow() {
    // The mesh's links may still report as they close; the window is going.
    ui_.print = [](const std::string&) {};
    ui_.status = [](const std::string&) {};
    ui_.offer = nullptr;
    ui_.offerGone = nullptr;
    ui_.progress = nullptr;
    mesh_.reset();
}

void ChatWindow::Print(const std::string& line) {
    chat_->appendPlainText(Text(line));
    // Every change of peers is announced by a line, so the list follows the lines.
    RefreshPeers();
}

void ChatWindow::ShowInvite() {
    std::string code = mesh_->Invite();
    inviteCode_->setText(Text("invite code: " + code));
    Print("* invite code: " + code + " (one peer, within 10 minutes: --connect " +
          mesh_->ListenAddress().ToString() + " --code " + code + ")");
}

void ChatWindow::closeEvent(QCloseEvent* event) {
    mesh_->Leave();
    event->accept();
}

void ChatWindow::Submit() {
    std::string line = input_->text().toStdString();
    input_->clear();
    if (!line.empty() && line[0] != '/') {
        Print("<" + mesh_->Name() + "> " + messenger::SafeText(line));
    }
    if (!messenger::RunCommand(*mesh_, ui_, line, [this](const std::string& name) {
            setWindowTitle(Text("xsock chat: " + name));
        })) {
        close();
    }
}

void ChatWindow::RefreshPeers() {
    if (!mesh_) {
        return;
    }
    peers_->clear();
    const messenger::PeerShown* waiting = nullptr;
    std::vector<messenger::PeerShown> peers = mesh_->Peers();
    for (const messenger::PeerShown& peer : peers) {
        peers_->addItem(Text(peer.name + " (" + demo::ShortFingerprint(peer.id) +
                             (peer.trusted ? ")" : ", not trusted)")));
        if (peer.waiting && waiting == nullptr) {
            waiting = &peer;
        }
    }
    trustName_ = waiting != nullptr ? waiting->name : std::string();
    if (waiting != nullptr) {
        trustText_->setText(Text(waiting->name + " at " + waiting->address +
                                 " is not trusted yet. Key: " + waiting->id));
    }
    trustBar_->setVisible(waiting != nullptr);
}

void ChatWindow::ShowOffer(const messenger::OfferShown& offer) {
    const std::string number = std::to_string(offer.number);
    auto* row = new QWidget(centralWidget());
    row->setObjectName(Text("offer-" + number));
    auto* layout = new QHBoxLayout(row);
    auto* label =
        new QLabel(Text(offer.sender + " (key " + offer.fingerprint + ") offers " + offer.name +
                        ", " + std::to_string(offer.size) + " bytes, SHA-256 " + offer.sha256),
                   row);
    label->setTextFormat(Qt::PlainText);
    label->setWordWrap(true);
    auto* accept = new QPushButton("Accept", row);
    accept->setObjectName(Text("accept-" + number));
    auto* reject = new QPushButton("Reject", row);
    reject->setObjectName(Text("reject-" + number));
    layout->addWidget(label, 1);
    layout->addWidget(accept);
    layout->addWidget(reject);
    const int n = offer.number;
    connect(accept, &QPushButton::clicked, this, [this, n] { mesh_->Files().Accept(n); });
    connect(reject, &QPushButton::clicked, this, [this, n] { mesh_->Files().Reject(n); });
    offers_->addWidget(row);
}

void ChatWindow::RemoveOffer(int number) {
    if (auto* row = centralWidget()->findChild<QWidget*>(Text("offer-" + std::to_string(number)))) {
        row->hide();
        // Later: the click that answered the offer is still running in its button.
        row->deleteLater();
    }
}

void ChatWindow::ShowProgress(const messenger::TransferShown& transfer) {
    const bool done = transfer.done >= transfer.size;
    progress_->setVisible(!done);
    // QProgressBar counts in int: per mille of the file.
    progress_->setRange(0, 1000);
    progress_->setValue(done ? 1000
                             : static_cast<int>(static_cast<double>(transfer.done) * 1000 /
                                                static_cast<double>(transfer.size)));
    progress_->setFormat(
        Text((transfer.incoming ? "receiving " : "sending ") + transfer.name + " %p%"));
}

}  // namespace chatqt
