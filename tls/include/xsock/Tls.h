// TLS for any AsyncSocket or Socket, over OpenSSL 3 (target xsock::tls). MFC
// has no counterpart; MFC programs bolt SChannel on by hand.
//
// One call makes a socket, including a subclass of your own, a TLS socket:
//
//   xsock::TlsContext client = xsock::TlsContext::Client();
//   CChatSocket socket;                       // an AsyncSocket subclass
//   socket.Create();
//   xsock::StartTls(socket, client, "chat.example.org");
//   socket.Connect("chat.example.org", 4433); // OnConnect(0) once TLS is up
//
//   xsock::TlsContext server = xsock::TlsContext::Server("cert.pem", "key.pem");
//   void CListener::OnAccept(int) {           // right after Accept
//       Accept(connection);
//       xsock::StartTls(connection, server);  // OnSend(0) once TLS is up
//   }
//
// StartTls goes before Connect (client), right after Accept (server), or on a
// connected socket (STARTTLS, as in SMTP). The notification rules stay those
// of AsyncSocket.h, with the handshake inside: a client's OnConnect(0) comes
// when the handshake is done and OnConnect(err) when TCP or TLS fails; a server
// socket gets OnSend(0) after its handshake and OnClose(err) if it fails.
// OnReceive fires while application bytes can be read, also when they wait
// decrypted inside OpenSSL with nothing left on the descriptor, and never for
// TLS's own records (session tickets, key updates). OnClose(0) follows the
// peer's close_notify once everything was read; a connection cut without it
// is OnClose(ECONNABORTED), never a clean end. ShutDown(sends) and Close send
// close_notify (not after SetLinger(true, 0)); as in clear text, what Send
// took still leaves after Close, before the close_notify (for at most 30 s,
// and for AsyncSocket::kMaxClosingFlushes closed sockets per thread at once;
// beyond them Close closes at once). A blocking Socket returns from
// Connect once the handshake is done; SocketFile and Archive work unchanged.
//
// Errors: a handshake or verification failure is EPROTO from
// AsyncSocket::GetLastError(); GetLastErrorCode() says why (the X.509
// verification message, OpenSSL's reason, a pin mismatch, a handshake that
// did not finish within SetHandshakeTimeout). TlsContext's factories throw
// std::system_error when a certificate or key cannot be loaded; the members
// that load files return false and set GetLastErrorCode().
//
// Thread safety: a TlsContext may be shared by sockets on any threads once it
// is set up; set it up (the members below) before the first StartTls. A TLS
// connection moves between threads as a plain one does: LoopThreads::HandOver
// (or TakeFilter, Detach, Attach and SetFilter) carries its TLS state along.
#pragma once

#include <xsock/AsyncSocket.h>
#include <xsock/TlsExport.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace xsock {

class XSOCK_TLS_EXPORT TlsContext {
  public:
    // Verifies the server against the system's CA store and the name given to
    // StartTls; TLS 1.2 at least.
    static TlsContext Client();
    // A server with this certificate chain and key (PEM files).
    static TlsContext Server(const char* certificateFile, const char* keyFile);

    TlsContext(TlsContext&&) noexcept;
    TlsContext& operator=(TlsContext&&) noexcept;
    ~TlsContext();

    // Trusts the CAs in `pemFile`: for a client the servers it checks, for a
    // server the client certificates it asks for.
    bool AddCertificateAuthority(const char* pemFile);
    // Accepts exactly the peer whose public key (SubjectPublicKeyInfo) has this
    // SHA-256, in hex of any case. With a pin the pin decides: no CA or name
    // check is needed, and a key that does not match is refused even if its
    // chain is valid. May be called more than once (any pin matches). A
    // server with pins, or AcceptAnyCertificate, takes at most 16 KiB of
    // certificates from a client (OpenSSL's default: 100 KiB), since parsing
    // them costs it CPU that any stranger can make it spend.
    void PinPeer(std::string sha256OfPublicKeyHex);
    // For peers known by their key rather than by a CA (pairing, as SSH's
    // known_hosts): the peer must present a certificate, but no CA, name or
    // date is checked, and the application decides by
    // GetTlsInfo(socket)->peerFingerprint once the handshake is done (it
    // then reports peerVerified false). On a server it asks every client for
    // a certificate. Pins, if any, still decide.
    void AcceptAnyCertificate();
    // A handshake that has not finished after `timeout` fails (default 10 s;
    // zero: never).
    void SetHandshakeTimeout(std::chrono::milliseconds timeout) noexcept;

    // A client certificate to present (client), or another chain (server).
    bool UseCertificate(const char* certificateFile, const char* keyFile);
    // Server: ask clients for a certificate, verified against
    // AddCertificateAuthority's CAs (or the pins); with `require`, a client
    // without one is refused.
    void RequestPeerCertificate(bool require);
    // ALPN: the protocols a client offers, or those a server accepts, in order
    // of preference ("h2", "http/1.1").
    void SetAlpn(const std::vector<std::string>& protocols);
    // Server: the certificate for clients that ask for `hostName` (SNI); a
    // name of the form *.example.org covers one label. Others get the
    // default certificate.
    bool AddServerName(const char* hostName, const char* certificateFile, const char* keyFile);
    // Client: resume sessions with a server seen before (on by default).
    void SetSessionResumption(bool on) noexcept;
    // For bulk transfers: how many bytes OpenSSL may take from the descriptor
    // in one read, for connections started after the call (default one
    // record, about 16 KiB). 128 KiB takes a fast stream in a quarter of the
    // reads, and costs that much memory per connection. Below one record it
    // is one record.
    void SetReadBufferSize(std::size_t bytes) noexcept;

    bool IsServer() const noexcept;

  private:
    friend XSOCK_TLS_EXPORT bool StartTls(AsyncSocket&, TlsContext&, const char*);
    struct Impl;
    explicit TlsContext(std::shared_ptr<Impl> impl) noexcept;
    std::shared_ptr<Impl> impl_;
};

// Makes `socket` a TLS socket (see above). `peerName` is the name (or IP
// address) a client checks the server's certificate against and sends as SNI;
// a client needs one unless it has a pin or AcceptAnyCertificate. False with GetLastError() set:
// EINVAL (no name and no pin, or a listening socket), EALREADY (TLS already), or what
// AsyncSocket::SetFilter reports.
XSOCK_TLS_EXPORT bool StartTls(AsyncSocket& socket, TlsContext& context,
                               const char* peerName = nullptr);

// What the handshake established; empty strings where there is nothing.
struct TlsInfo {
    bool established = false;     // the handshake is done
    std::string version;          // "TLSv1.3"
    std::string cipher;           // "TLS_AES_256_GCM_SHA384"
    std::string alpn;             // the protocol both chose
    std::string serverName;       // the name the client asked for (SNI)
    std::string peerSubject;      // the peer certificate's subject, one line
    std::string peerCertificate;  // the peer's certificate, PEM
    std::string peerFingerprint;  // SHA-256 of its public key, lowercase hex (PinPeer's form)
    bool peerVerified = false;    // chain and name (or pin) checked and good
    std::string verifyMessage;    // the X.509 verification result, "ok" if good
    bool resumed = false;         // an earlier session was resumed
};

// The TLS state of `socket`, or nullopt if it has no TLS.
XSOCK_TLS_EXPORT std::optional<TlsInfo> GetTlsInfo(const AsyncSocket& socket);

// Keying material both ends of `socket`'s TLS session derive alike and no one
// else can (RFC 8446 section 7.5): binds a proof, such as an HMAC of a shared
// code, to this session. False if the handshake is not done.
XSOCK_TLS_EXPORT bool ExportKeyingMaterial(const AsyncSocket& socket, const std::string& label,
                                           std::size_t length, std::string& out);

// The SHA-256 of the public key in a PEM certificate file, in PinPeer's form;
// empty if the file cannot be read.
XSOCK_TLS_EXPORT std::string PublicKeyFingerprint(const char* certificateFile);

// The category of TLS failures: GetLastError() reports them as EPROTO.
XSOCK_TLS_EXPORT const std::error_category& TlsCategory() noexcept;

}  // namespace xsock
