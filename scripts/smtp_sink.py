"""A real SMTP server for Arreta's tests: aiosmtpd, saving every accepted message to a folder.

    smtp_sink.py --port PORT --dir DIR [--delay-rcpt SECONDS] [--fail-first N]
                 [--tls-cert CERT --tls-key KEY] [--auth USER:PASSWORD]

Each accepted message is written whole (temporary name, then rename) as DIR/<ns>-<uuid>.eml,
with the envelope in the first lines as X-Envelope-From / X-Envelope-To headers, exactly when the
server answers 250 to the final dot. --delay-rcpt slows every RCPT answer so a test can kill the
sending process in the middle of an SMTP transaction; --fail-first answers 451 (try again later)
to the first N messages. With --tls-cert and --tls-key, STARTTLS is required before anything
else; with --auth, AUTH PLAIN or LOGIN with those credentials is required before MAIL. Prints "smtp-sink listening on HOST:PORT" once it accepts connections
and stops on SIGTERM or SIGINT.
"""

import argparse
import asyncio
import os
import signal
import ssl
import sys
import time
import uuid

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def check_credentials(user, password):
    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == user
            and auth_data.password.decode() == password
        )
        return AuthResult(success=ok, handled=False)

    return authenticator


class Sink:
    def __init__(self, folder, delay_rcpt, fail_first):
        self.folder = folder
        self.delay_rcpt = delay_rcpt
        self.failures_left = fail_first

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.delay_rcpt:
            await asyncio.sleep(self.delay_rcpt)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.failures_left > 0:
            self.failures_left -= 1
            return "451 4.3.0 Try again later"
        name = f"{time.time_ns()}-{uuid.uuid4()}.eml"
        partial = os.path.join(self.folder, "." + name + ".partial")
        header = (
            f"X-Envelope-From: {envelope.mail_from}\r\n"
            f"X-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n"
        ).encode()
        with open(partial, "wb") as out:
            out.write(header)
            out.write(envelope.original_content)
            out.flush()
            os.fsync(out.fileno())
        os.rename(partial, os.path.join(self.folder, name))
        return "250 2.0.0 Message accepted for delivery"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--delay-rcpt", type=float, default=0.0)
    parser.add_argument("--fail-first", type=int, default=0)
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--auth")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    options = {}
    if args.tls_cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        options.update(tls_context=context, require_starttls=True)
    if args.auth:
        user, password = args.auth.split(":", 1)
        options.update(
            authenticator=check_credentials(user, password),
            auth_required=True,
            auth_require_tls=bool(args.tls_cert),
        )
    controller = Controller(
        Sink(args.dir, args.delay_rcpt, args.fail_first),
        hostname=args.host,
        port=args.port,
        # Real relays accept large messages; the default 32 MiB is plenty for ours.
        data_size_limit=32 * 1024 * 1024,
        **options,
    )
    controller.start()
    print(f"smtp-sink listening on {args.host}:{args.port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.new_event_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        loop.run_until_complete(stop.wait())
    finally:
        controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
