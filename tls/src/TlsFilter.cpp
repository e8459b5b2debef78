#include "TlsFilter.h"

#include "TlsError.h"

#include <openssl/err.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

namespace xsock::tls {

namespace {

// Output OpenSSL produced on its own (key update replies) that the peer does
// not read may not grow without end: past this the connection fails.
constexpr std::size_t kMaxPendingOutput = 1 << 20;

TlsFilter& FilterOf(BIO* bio) {
    return *static_cast<TlsFilter*>(BIO_get_data(bio));
}

BIO_METHOD* MakeMethod() {
    BIO_METHOD* method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "xsock socket");
    BIO_meth_set_write(method, [](BIO* bio, const char* data, int length) {
        BIO_clear_retry_flags(bio);
        return FilterOf(bio).SendRaw(data, length);
    });
    BIO_meth_set_read(method, [](BIO* bio, char* data, int length) {
        BIO_clear_retry_flags(bio);
        int n = FilterOf(bio).ReceiveRaw(data, length);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            BIO_set_retry_read(bio);
        }
        return n;
    });
    BIO_meth_set_ctrl(method, [](BIO*, int command, long, void*) -> long {
        return command == BIO_CTRL_FLUSH ? 1 : 0;
    });
    BIO_meth_set_create(method, [](BIO* bio) {
        BIO_set_init(bio, 1);
        return 1;
    });
    return method;
}

std::error_code Errno(int code) {
    return {code, std::generic_category()};
}

}  // namespace

BIO* NewSocketBio(TlsFilter& filter) {
    static BIO_METHOD* const method = MakeMethod();
    BIO* bio = BIO_new(method);
    if (bio != nullptr) {
        BIO_set_data(bio, &filter);
    }
    return bio;
}

TlsFilter::TlsFilter(std::shared_ptr<const ContextState> context, SSL* ssl, std::string peerName)
    : context_(std::move(context)), ssl_(ssl), peerName_(std::move(peerName)) {}

TlsFilter::~TlsFilter() {
    SSL_free(ssl_);
}

bool TlsFilter::TakeInput(const void* data, std::size_t length) {
    early_.append(static_cast<const char*>(data), length);
    starved_ = false;
    return true;
}

int TlsFilter::ReceiveRaw(char* buffer, int length) {
    if (earlyRead_ < early_.size()) {
        std::size_t n = std::min(early_.size() - earlyRead_, static_cast<std::size_t>(length));
        std::memcpy(buffer, early_.data() + earlyRead_, n);
        earlyRead_ += n;
        if (earlyRead_ == early_.size()) {
            early_.clear();
            early_.shrink_to_fit();
            earlyRead_ = 0;
        }
        starved_ = false;
        return static_cast<int>(n);
    }
    ssize_t n;
    do {
        n = ::recv(fd_, buffer, static_cast<std::size_t>(length), 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
        ioErrno_ = errno;
    }
    if (n != 0) {
        starved_ = false;  // new bytes (or news of the end) to look at
    }
    return static_cast<int>(n);
}

// Always takes everything: what the descriptor does not take now waits in
// output_, in order, for Flush.
int TlsFilter::SendRaw(const char* buffer, int length) {
    if (sent_ < output_.size()) {
        output_.insert(output_.end(), buffer, buffer + length);
        return length;
    }
    ssize_t n;
    do {
        n = ::send(fd_, buffer, static_cast<std::size_t>(length), MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            ioErrno_ = errno;
            return -1;
        }
        n = 0;
    }
    if (n < length) {
        output_.assign(buffer + n, buffer + length);
        sent_ = 0;
    }
    return length;
}

bool TlsFilter::Flush(int fd, std::error_code& error) {
    fd_ = fd;
    while (sent_ < output_.size()) {
        ssize_t n;
        do {
            n = ::send(fd_, output_.data() + sent_, output_.size() - sent_, MSG_NOSIGNAL);
        } while (n < 0 && errno == EINTR);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return false;
            }
            error = Errno(errno);
            break;  // the connection is gone: nothing more will leave
        }
        sent_ += static_cast<std::size_t>(n);
    }
    output_.clear();
    output_.shrink_to_fit();
    sent_ = 0;
    return !error;
}

// Output is written as it is made; a Flush here only retries what waits.
bool TlsFilter::Drain() {
    std::error_code ignored;
    return sent_ >= output_.size() || Flush(fd_, ignored);
}

// Decrypted bytes, or undecrypted ones that OpenSSL has not yet found to be
// less than a record: what is left after a read that wanted more waits for
// the descriptor like everything else, or a peer that sends half a record
// would keep the loop spinning.
bool TlsFilter::HasBufferedInput() const noexcept {
    return ended_ || SSL_pending(ssl_) > 0 || (SSL_has_pending(ssl_) != 0 && !starved_) ||
           earlyRead_ < early_.size();
}

int TlsFilter::Handshake(int fd, std::error_code& error) {
    fd_ = fd;
    if (established_) {
        return 1;
    }
    ERR_clear_error();
    ioErrno_ = 0;
    int result = SSL_do_handshake(ssl_);
    if (result == 1) {
        established_ = true;
        return 1;
    }
    int kind = SSL_get_error(ssl_, result);
    if (kind == SSL_ERROR_WANT_READ || kind == SSL_ERROR_WANT_WRITE) {
        return 0;
    }
    if (pinMismatch_) {
        error = MakeError(Reason::PinMismatch);
    } else if (long verified = SSL_get_verify_result(ssl_);
               verified != X509_V_OK &&
               ERR_GET_REASON(ERR_peek_last_error()) == SSL_R_CERTIFICATE_VERIFY_FAILED) {
        error = X509Error(verified);
    } else {
        error = OpenSslError(Reason::ClosedDuringHandshake);
    }
    ERR_clear_error();
    return -1;
}

std::error_code TlsFilter::Failure(int result, bool reading) {
    int kind = SSL_get_error(ssl_, result);
    std::error_code error;
    if (kind == SSL_ERROR_WANT_READ || kind == SSL_ERROR_WANT_WRITE) {
        return Errno(EWOULDBLOCK);
    }
    if (kind == SSL_ERROR_SYSCALL) {
        error = Errno(ioErrno_ != 0 ? ioErrno_ : reading ? ECONNABORTED : EPIPE);
    } else if (kind == SSL_ERROR_SSL &&
               ERR_GET_REASON(ERR_peek_last_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        error = Errno(ECONNABORTED);  // cut without close_notify: a truncation
    } else {
        error = OpenSslError(Reason::ClosedDuringHandshake);
    }
    ERR_clear_error();
    return error;
}

long TlsFilter::Read(int fd, void* buffer, std::size_t length, bool peek, std::error_code& error) {
    fd_ = fd;
    if (ended_) {
        error = end_;
        return end_ ? -1 : 0;
    }
    if (length == 0) {
        return 0;
    }
    int size = length > INT_MAX ? INT_MAX : static_cast<int>(length);
    ERR_clear_error();
    ioErrno_ = 0;
    int n = peek ? SSL_peek(ssl_, buffer, size) : SSL_read(ssl_, buffer, size);
    Drain();
    if (output_.size() - sent_ > kMaxPendingOutput) {
        ended_ = true;
        end_ = Errno(ENOBUFS);
        error = end_;
        return -1;
    }
    if (n > 0) {
        return n;
    }
    if (SSL_get_error(ssl_, n) == SSL_ERROR_ZERO_RETURN) {
        ended_ = true;  // close_notify: the orderly end
        end_ = {};
        return 0;
    }
    error = Failure(n, true);
    if (error == std::errc::operation_would_block) {
        starved_ = true;
    } else {
        ended_ = true;
        end_ = error;
    }
    return -1;
}

long TlsFilter::Write(int fd, const void* buffer, std::size_t length, std::error_code& error) {
    fd_ = fd;
    if (sent_ < output_.size() && !Flush(fd, error)) {
        if (!error) {
            error = Errno(EWOULDBLOCK);
        }
        return -1;
    }
    if (length == 0) {
        return 0;
    }
    ERR_clear_error();
    ioErrno_ = 0;
    int n = SSL_write(ssl_, buffer, length > INT_MAX ? INT_MAX : static_cast<int>(length));
    if (n > 0) {
        return n;
    }
    error = Failure(n, false);
    return -1;
}

bool TlsFilter::Shutdown(int fd, std::error_code& error) {
    fd_ = fd;
    ERR_clear_error();
    ioErrno_ = 0;
    if (SSL_shutdown(ssl_) < 0) {
        error = Failure(-1, false);
        return false;
    }
    return true;
}

std::chrono::milliseconds TlsFilter::HandshakeTimeout() const noexcept {
    return context_->handshakeTimeout;
}

std::error_code TlsFilter::HandshakeTimedOut() const {
    return MakeError(Reason::HandshakeTimedOut);
}

}  // namespace xsock::tls
