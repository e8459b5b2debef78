// A user program: it must build against xsock however xsock was brought in.
#include <xsock/ArchiveException.h>

int main() {
    xsock::ArchiveException error(xsock::ArchiveException::endOfFile);
    return error.m_cause == xsock::ArchiveException::endOfFile ? 0 : 1;
}
