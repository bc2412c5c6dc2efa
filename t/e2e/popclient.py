"""What the POP3 tests share: a roost instance with users and a way to
fill their INBOX (IMAP APPEND, so the message octets are exactly the
test's), and a raw-socket POP3 client for pipelining and malformed
input."""
import contextlib
import imaplib
import os
import socket
import ssl
import time

from roost import Roost, wait_greeting

PASSWORD = "pop secret"


class PopServer:
    """A roost instance for POP tests, the failed-login delay small."""

    def __init__(self, extra_conf=""):
        self.r = Roost()
        self.extra = extra_conf

    def start(self):
        self.r.start()
        with open(self.r.conf, "a") as f:
            f.write("auth_failure_delay = 1s\n" + self.extra)
        for svc in ("authd", "popd"):
            if os.path.exists(self.r.path("run", "service", svc)):
                self.r.ctl("restart", svc)
        self.wait_ready()

    @contextlib.contextmanager
    def settings(self, services, **keys):
        """roost.conf with keys set (replacing any line of theirs) and
        services restarted, for the with block; then the file as it was,
        and the services restarted again."""
        with open(self.r.conf) as f:
            before = f.read()
        lines = [ln for ln in before.splitlines(True)
                 if ln.split("=")[0].strip() not in keys]
        lines += ["%s = %s\n" % kv for kv in keys.items()]
        try:
            with open(self.r.conf, "w") as f:
                f.write("".join(lines))
            for svc in services:
                self.r.ctl("restart", svc)
            self.wait_ready()
            yield
        finally:
            with open(self.r.conf, "w") as f:
                f.write(before)
            for svc in services:
                self.r.ctl("restart", svc)
            self.wait_ready()

    def wait_ready(self):
        wait_greeting(self.port, "+OK", "popd")

    @property
    def port(self):
        return self.r.port("pop3")

    def add_user(self, name, password=PASSWORD):
        self.r.add_user(name, password)

    def imap(self, user, password=PASSWORD):
        c = imaplib.IMAP4("127.0.0.1", self.r.port("imap"), timeout=30)
        c.login(user, password)
        return c

    def fill(self, user, messages, password=PASSWORD):
        """APPEND messages (bytes, CRLF) to user's INBOX in order."""
        c = self.imap(user, password)
        for m in messages:
            typ, data = c.append("INBOX", None, None, m)
            assert typ == "OK", data
        c.logout()

    def empty(self, user, password=PASSWORD):
        c = self.imap(user, password)
        typ, data = c.select("INBOX")
        if int(data[0]) > 0:
            c.store("1:*", "+FLAGS.SILENT", r"(\Deleted)")
            c.expunge()
        c.logout()

    def finish(self):
        self.r.finish()


def tls_context():
    """TLS without certificate checks (the tests that check the
    certificate do it themselves)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def message(n, body=None):
    body = body if body is not None else b"Body of message %d.\r\n" % n
    return (b"From: sender@example.test\r\nTo: alice@example.test\r\n"
            b"Subject: message %d\r\nMessage-ID: <m%d.%f@test>\r\n\r\n"
            % (n, n, time.time())) + body


class Raw:
    """A POP3 client on a socket: send anything, read lines."""

    def __init__(self, port, host="127.0.0.1", timeout=30, sock=None):
        self.s = sock or socket.create_connection((host, port), timeout)
        self.s.settimeout(timeout)
        self.buf = b""

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass

    def send(self, data):
        self.s.sendall(data)

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError("connection closed; have %r" % self.buf)
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def multi(self):
        """The lines of a multi-line body up to '.', dot-unstuffed."""
        out = []
        while True:
            ln = self.line()
            if ln == b".":
                return out
            out.append(ln[1:] if ln.startswith(b"..") else ln)

    def cmd(self, text):
        self.send(text.encode() + b"\r\n")
        return self.line()

    def closed(self, timeout=5):
        """True when the server closes the connection (after what is
        buffered)."""
        self.s.settimeout(timeout)
        try:
            while True:
                if not self.s.recv(65536):
                    return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False

    def login(self, user, password=PASSWORD):
        assert self.line().startswith(b"+OK")
        assert self.cmd("USER " + user).startswith(b"+OK")
        r = self.cmd("PASS " + password)
        assert r.startswith(b"+OK"), r
        return r
