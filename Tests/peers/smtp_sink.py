"""A real SMTP server (aiosmtpd) that keeps what it receives, for Guichet's e-mail tests.

Usage: smtp_sink.py FOLDER
Prints "PORT <n>" once listening on 127.0.0.1, then runs until it is sent SIGTERM.
Each message received is parsed with Python's own e-mail parser (independent of Guichet's
MIME writer) and written to FOLDER/<n>.json: envelope sender and recipients, decoded headers,
and the decoded text and HTML parts.
"""
import json
import os
import signal
import socket
import sys
from email import policy
from email.parser import BytesParser

from aiosmtpd.controller import Controller


class Keeper:
    def __init__(self, folder):
        self.folder = folder
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        message = BytesParser(policy=policy.default).parsebytes(envelope.original_content or envelope.content)
        parts = {}
        for part in message.walk():
            if part.get_content_maintype() == "text":
                parts[part.get_content_type()] = part.get_content()
        record = {
            "mailFrom": envelope.mail_from,
            "rcptTos": envelope.rcpt_tos,
            "from": str(message["From"]),
            "to": str(message["To"]),
            "subject": str(message["Subject"]),
            "date": str(message["Date"]),
            "messageID": str(message["Message-ID"]),
            "language": str(message["Content-Language"]) if message["Content-Language"] else None,
            "defects": [type(d).__name__ for d in message.defects],
            "text": parts.get("text/plain"),
            "html": parts.get("text/html"),
        }
        self.count += 1
        path = os.path.join(self.folder, f"{self.count:04d}.json")
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            json.dump(record, f, ensure_ascii=False)
        os.replace(path + ".tmp", path)
        return "250 Message accepted for delivery"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    folder = sys.argv[1]
    # A port may be given: a test stops the relay and starts it again where the sender expects it.
    port = int(sys.argv[2]) if len(sys.argv) > 2 else free_port()
    controller = Controller(Keeper(folder), hostname="127.0.0.1", port=port)
    controller.start()
    print(f"PORT {port}", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        while True:
            signal.pause()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
