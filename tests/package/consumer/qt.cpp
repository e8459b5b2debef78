// A Qt program: a task posted to the loop runs inside QCoreApplication::exec().
#include <xsock/Qt.h>

#include <QCoreApplication>
#include <QTimer>

int main(int argc, char** argv) {
    QCoreApplication app(argc, argv);
    xsock::SocketLoop loop;
    xsock::QtAttachment attachment = xsock::AttachToQt(loop);
    loop.Post([] { QCoreApplication::exit(0); });
    QTimer::singleShot(20000, [] { QCoreApplication::exit(1); });
    return QCoreApplication::exec();
}
