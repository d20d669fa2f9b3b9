"""A real SMTP server for the test suite (aiosmtpd), that stores each message it receives as
an .eml file, with the envelope recipients in an X-Envelope-To header, so tests can read back
exactly what privacyd sent.

Usage: python3 smtp_sink.py PORT DIR [--starttls CERT KEY] [--auth]
(prints "ready" once it accepts connections)

--starttls offers STARTTLS with that certificate and key (PEM); --auth accepts AUTH PLAIN and
LOGIN with any user and password, over TLS or not (so a test can see a client that sends its
password in clear). With either, each message also gets, after X-Envelope-To:
  X-Sink-Tls: yes|no          whether the message came over TLS
  X-Sink-Auth: none|before-tls|after-tls USER
                              whether and when the client authenticated, and as whom
"""

import os
import ssl
import sys
import threading
import time
import uuid

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Sink:
    def __init__(self, directory, record_security):
        self.directory = directory
        self.record_security = record_security

    async def handle_DATA(self, server, session, envelope):
        name = f"{time.time_ns()}-{uuid.uuid4().hex}.eml"
        tmp = os.path.join(self.directory, name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(b"X-Envelope-To: " + ",".join(envelope.rcpt_tos).encode() + b"\r\n")
            if self.record_security:
                tls = "yes" if session.ssl is not None else "no"
                auth = getattr(session, "sink_auth", "none")
                f.write(f"X-Sink-Tls: {tls}\r\nX-Sink-Auth: {auth}\r\n".encode())
            f.write(envelope.original_content or envelope.content)
        # Rename, so a reader never sees half a message.
        os.rename(tmp, os.path.join(self.directory, name))
        return "250 Message accepted for delivery"


def authenticator(server, session, envelope, mechanism, auth_data):
    """Accepts anyone, remembering who and whether the connection was encrypted by then."""
    user = auth_data.login.decode() if isinstance(auth_data, LoginPassword) else "?"
    when = "after-tls" if session.ssl is not None else "before-tls"
    session.sink_auth = f"{when} {user}"
    return AuthResult(success=True)


def main():
    port, directory, options = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    os.makedirs(directory, exist_ok=True)
    kwargs = {}
    if "--starttls" in options:
        i = options.index("--starttls")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(options[i + 1], options[i + 2])
        kwargs["tls_context"] = context
    if "--auth" in options:
        kwargs["authenticator"] = authenticator
        kwargs["auth_require_tls"] = False
    record = bool(kwargs)
    controller = Controller(Sink(directory, record), hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    print("ready", flush=True)
    # Exit when the test process that started us goes away (its end of our stdin closes).
    threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
    threading.Event().wait()


if __name__ == "__main__":
    main()
