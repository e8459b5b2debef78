"""A TLS peer on Python's ssl module, for xsock's interoperability tests.

  peer.py client PORT CAFILE NAME MESSAGE
      connects to 127.0.0.1:PORT, verifies the server's certificate against
      CAFILE and its name against NAME, sends MESSAGE and a newline, prints
      "ECHO <line>" for what comes back, then ends with close_notify and waits
      for the server's.
  peer.py server CERTFILE KEYFILE
      listens on 127.0.0.1 with a port the kernel chooses, prints "PORT <n>",
      serves one connection: reads a line, answers "python says: <line>",
      then ends with close_notify and waits for the client's.

Both print "VERSION <protocol>" after the handshake and "CLOSED CLEANLY" once
close_notify went both ways. A refused handshake prints "REFUSED <reason>"
and exits with 2; any other failure exits with 1.
"""

import socket
import ssl
import sys


def say(*words):
    print(*words, flush=True)


def read_line(tls):
    data = b""
    while not data.endswith(b"\n"):
        chunk = tls.recv(4096)
        if not chunk:
            raise ConnectionError("the peer ended before a whole line: %r" % data)
        data += chunk
    return data


def client(port, cafile, name, message):
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=cafile)
    assert context.check_hostname and context.verify_mode == ssl.CERT_REQUIRED
    with socket.create_connection(("127.0.0.1", int(port))) as raw:
        try:
            tls = context.wrap_socket(raw, server_hostname=name)
        except ssl.SSLError as error:
            say("REFUSED", error)
            return 2
        say("VERSION", tls.version())
        tls.sendall(message.encode() + b"\n")
        say("ECHO", read_line(tls).decode().rstrip("\n"))
        tls.unwrap()
        say("CLOSED CLEANLY")
    return 0


def server(certfile, keyfile):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certfile, keyfile)
    with socket.create_server(("127.0.0.1", 0)) as listener:
        say("PORT", listener.getsockname()[1])
        raw, _ = listener.accept()
        with raw:
            try:
                tls = context.wrap_socket(raw, server_side=True)
            except ssl.SSLError as error:
                say("REFUSED", error)
                return 2
            say("VERSION", tls.version())
            tls.sendall(b"python says: " + read_line(tls))
            tls.unwrap()
            say("CLOSED CLEANLY")
    return 0


def main(args):
    if len(args) == 5 and args[0] == "client":
        return client(*args[1:])
    if len(args) == 3 and args[0] == "server":
        return server(*args[1:])
    print(__doc__, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
