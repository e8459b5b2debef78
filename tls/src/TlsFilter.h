// The StreamFilter that runs one TLS connection: OpenSSL reads the descriptor
// through a BIO of ours, and writes go straight to it, what the descriptor
// does not take waiting in a buffer of ours; so Send's count is always what
// OpenSSL consumed, and nothing is written twice.
#pragma once

#include <xsock/StreamFilter.h>

#include "TlsContextImpl.h"

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <vector>

namespace xsock::tls {

class TlsFilter final : public StreamFilter {
  public:
    TlsFilter(std::shared_ptr<const ContextState> context, SSL* ssl, std::string peerName);
    ~TlsFilter() override;

    int Handshake(int fd, std::error_code& error) override;
    long Read(int fd, void* buffer, std::size_t length, bool peek, std::error_code& error) override;
    long Write(int fd, const void* buffer, std::size_t length, std::error_code& error) override;
    bool Flush(int fd, std::error_code& error) override;
    bool HasPendingOutput() const noexcept override { return sent_ < output_.size(); }
    bool HasBufferedInput() const noexcept override;
    bool Shutdown(int fd, std::error_code& error) override;
    std::chrono::milliseconds HandshakeTimeout() const noexcept override;
    std::error_code HandshakeTimedOut() const override;

    SSL* Ssl() const noexcept { return ssl_; }
    const ContextState& Context() const noexcept { return *context_; }
    const std::string& PeerName() const noexcept { return peerName_; }
    bool Established() const noexcept { return established_; }
    bool PinMatched() const noexcept { return pinMatched_; }
    void SetPinMismatch() noexcept { pinMismatch_ = true; }
    void SetPinMatched() noexcept { pinMatched_ = true; }

    // The BIO's two directions.
    int ReceiveRaw(char* buffer, int length);
    bool TakeInput(const void* data, std::size_t length) override;
    int SendRaw(const char* buffer, int length);

  private:
    std::error_code Failure(int result, bool reading);
    bool Drain();

    std::shared_ptr<const ContextState> context_;
    SSL* ssl_;
    std::string peerName_;
    int fd_ = -1;
    int ioErrno_ = 0;  // the last errno of the descriptor, for OpenSSL's SYSCALL errors
    bool established_ = false;
    bool pinMismatch_ = false;
    bool pinMatched_ = false;
    bool ended_ = false;
    std::string early_;  // taken off the descriptor before this filter came: read first
    std::size_t earlyRead_ = 0;
    bool starved_ = false;  // the last read wanted more than the buffer held
    std::error_code end_;   // the stream's end once seen: empty for close_notify
    std::vector<char> output_;
    std::size_t sent_ = 0;
};

// A BIO that reads and writes `filter`'s descriptor through it.
BIO* NewSocketBio(TlsFilter& filter);

}  // namespace xsock::tls
