"""A test SMTP server with TLS and sign-in, for Roundtable's mail tests.

Two listeners on 127.0.0.1, both requiring AUTH (PLAIN or LOGIN) with the one
user and password given, both writing every message into one Maildir:

- STARTTLS required (port given as --starttls-port), like port 587;
- implicit TLS (--smtps-port), like port 465.

    python smtp_secure_server.py --cert server.pem --key server.key \
        --user USER --password PASSWORD --maildir DIR \
        --starttls-port 0 --smtps-port 0 --ports-file FILE

Chosen ports are written to --ports-file as "starttls smtps" once both listen.
Started by scripts/test; aiosmtpd comes from PyPI (the suite's venv).
"""

import argparse
import asyncio
import os
import signal
import ssl

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult, LoginPassword


def main():
    parser = argparse.ArgumentParser()
    for name in ("cert", "key", "user", "password", "maildir", "ports-file"):
        parser.add_argument("--" + name, required=True)
    parser.add_argument("--starttls-port", type=int, default=0)
    parser.add_argument("--smtps-port", type=int, default=0)
    args = parser.parse_args()

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.cert, args.key)

    def authenticator(server, session, envelope, mechanism, auth_data):
        if (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == args.user.encode()
            and auth_data.password == args.password.encode()
        ):
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    common = dict(
        hostname="127.0.0.1",
        authenticator=authenticator,
        auth_required=True,
    )
    starttls = Controller(
        Mailbox(args.maildir),
        port=args.starttls_port or free_port(),
        require_starttls=True,
        tls_context=context,
        auth_require_tls=True,
        **common,
    )
    smtps = Controller(
        Mailbox(args.maildir),
        port=args.smtps_port or free_port(),
        ssl_context=context,
        # The whole connection is TLS, which aiosmtpd's check for AUTH
        # (meant for STARTTLS) does not see.
        auth_require_tls=False,
        **common,
    )
    starttls.start()
    smtps.start()
    with open(args.ports_file + ".tmp", "w") as ports:
        ports.write(f"{starttls.port} {smtps.port}\n")
    os.replace(args.ports_file + ".tmp", args.ports_file)

    loop = asyncio.new_event_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.run_until_complete(stop.wait())
    starttls.stop()
    smtps.stop()


def free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


if __name__ == "__main__":
    main()
