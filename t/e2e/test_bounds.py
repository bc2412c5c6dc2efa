"""Every session is bounded: SMTP's whole-session deadline and minimum
data rate, the IMAP and POP3 login deadlines, cleanup's per-user
connection limit and attribute list cap, and qmgr's sweep of queue tmp/
(roost.conf(5): smtpd_session_timeout, smtpd_min_data_rate,
imapd_login_timeout, popd_login_timeout, cleanup_user_sessions,
attr_list_limit, queue_tmp_max_age)."""
import os
import re
import socket
import time

import pytest

from roost import Roost, wait_for

PASSWORD = "bounds-password"
CONF = """
smtpd_session_timeout = 6s
smtpd_timeout = 1s
smtpd_min_data_rate = 1000
imapd_login_timeout = 2s
popd_login_timeout = 2s
cleanup_user_sessions = 2
attr_list_limit = 64k
"""


@pytest.fixture(scope="module")
def r():
    inst = Roost()
    try:
        inst.start()
        with open(inst.conf, "a") as f:
            f.write(CONF)
        for svc in ("smtpd", "imapd", "popd", "cleanup"):
            inst.ctl("restart", svc)
        inst.add_user("bob", PASSWORD)
        yield inst
    finally:
        inst.finish()


class Line:
    """A line-oriented client on a raw socket (recv, not makefile: a
    file object is dead after its first timeout)."""

    def __init__(self, port, timeout=20):
        self.s = socket.create_connection(("127.0.0.1", port),
                                          timeout=timeout)
        self.buf = b""

    def send(self, b):
        self.s.sendall(b)

    def line(self):
        """The next line, "" at EOF; socket.timeout keeps what came."""
        while b"\n" not in self.buf:
            got = self.s.recv(4096)
            if not got:
                ln, self.buf = self.buf, b""
                return ln.decode(errors="replace")
            self.buf += got
        ln, _, self.buf = self.buf.partition(b"\n")
        return (ln + b"\n").decode(errors="replace")

    def smtp(self, cmd):
        """cmd, then the last line of its (possibly multi-line) reply."""
        self.send(cmd + b"\r\n")
        while True:
            ln = self.line()
            if ln[3:4] != "-":
                return ln

    def close(self):
        self.s.close()


def keep_busy(c, send, until_prefix, limit):
    """send() every 0.3 s until a line starting with until_prefix comes
    back (or the connection ends): that line and the seconds it took."""
    t0 = time.monotonic()
    c.s.settimeout(0.3)
    while time.monotonic() - t0 < limit:
        try:
            send()
        except OSError:
            break
        try:
            while True:
                ln = c.line()
                if ln == "" or ln.startswith(until_prefix):
                    return ln, time.monotonic() - t0
        except socket.timeout:
            pass
    return None, time.monotonic() - t0


def test_smtp_session_deadline(r):
    """A busy SMTP session still ends at smtpd_session_timeout."""
    c = Line(r.port("smtp"))
    try:
        assert c.line().startswith("220")
        assert c.smtp(b"EHLO client.example").startswith("250 ")
        ln, took = keep_busy(c, lambda: c.send(b"NOOP\r\n"), "421", 30)
        assert ln is not None and ln.startswith("421 4.4.2"), ln
        assert 5 <= took < 15, took
    finally:
        c.close()


def begin_mail(c):
    assert c.line().startswith("220")
    assert c.smtp(b"EHLO client.example").startswith("250 ")
    assert c.smtp(b"MAIL FROM:<a@example.org>").startswith("250")
    assert c.smtp(b"RCPT TO:<b@example.org>").startswith("250")


def test_smtp_data_keeping_up_is_accepted(r):
    c = Line(r.port("smtp"))
    try:
        begin_mail(c)
        assert c.smtp(b"DATA").startswith("354")
        body = b"Subject: fast\r\n\r\n" + b"x" * 70 + b"\r\n"
        c.send(body * 3000 + b".\r\n")
        assert c.line().startswith("250 2.0.0"), "200 KB in time"
    finally:
        c.close()


def test_smtp_data_trickle_times_out(r):
    """DATA at a few bytes a second meets smtpd_timeout plus size / rate
    long before the session deadline, though each byte comes in time."""
    c = Line(r.port("smtp"))
    try:
        begin_mail(c)
        assert c.smtp(b"DATA").startswith("354")
        ln, took = keep_busy(c, lambda: c.send(b"x"), "421", 30)
        assert ln is not None and ln.startswith("421 4.4.2"), ln
        assert took < 4, took
    finally:
        c.close()


def test_smtp_bdat_trickle_times_out(r):
    c = Line(r.port("smtp"))
    try:
        begin_mail(c)
        c.send(b"BDAT 100 LAST\r\n")
        ln, took = keep_busy(c, lambda: c.send(b"y"), "421", 30)
        assert ln is not None and ln.startswith("421 4.4.2"), ln
        assert took < 4, took
    finally:
        c.close()


def test_imap_login_deadline(r):
    c = Line(r.port("imap"))
    try:
        assert c.line().startswith("* OK")
        n = [0]

        def noop():
            n[0] += 1
            c.send(b"n%d NOOP\r\n" % n[0])
        ln, took = keep_busy(c, noop, "* BYE", 30)
        assert ln is not None and ln.startswith("* BYE Login timeout"), ln
        assert 1.5 <= took < 8, took
    finally:
        c.close()


def test_imap_logged_in_outlives_login_deadline(r):
    c = Line(r.port("imap"))
    try:
        assert c.line().startswith("* OK")
        c.send(b'a LOGIN bob "%s"\r\n' % PASSWORD.encode())
        while True:
            ln = c.line()
            if ln.startswith("a "):
                break
        assert ln.startswith("a OK"), ln
        time.sleep(3)
        c.send(b"b NOOP\r\n")
        assert c.line().startswith("b OK")
    finally:
        c.close()


def test_pop_login_deadline(r):
    c = Line(r.port("pop3"))
    try:
        assert c.line().startswith("+OK")
        ln, took = keep_busy(c, lambda: c.send(b"CAPA\r\n"),
                             "-ERR", 30)
        assert ln is not None and ln.startswith("-ERR Login timeout"), ln
        assert 1.5 <= took < 8, took
    finally:
        c.close()


def test_pop_logged_in_outlives_login_deadline(r):
    c = Line(r.port("pop3"))
    try:
        assert c.line().startswith("+OK")
        c.send(b"USER bob\r\n")
        assert c.line().startswith("+OK")
        c.send(b"PASS %s\r\n" % PASSWORD.encode())
        assert c.line().startswith("+OK")
        time.sleep(3)
        c.send(b"NOOP\r\n")
        assert c.line().startswith("+OK")
    finally:
        c.close()


class Cleanup:
    def __init__(self, r):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(20)
        self.s.connect(r.path("run", "cleanup"))
        self.f = self.s.makefile("rwb")
        assert self.read() == {"proto": "cleanup", "version": "1.1"}

    def read(self):
        out = {}
        while True:
            ln = self.f.readline()
            if ln in (b"", b"\n"):
                return out if ln else None
            k, _, v = ln[:-1].decode().partition("=")
            out[k] = re.sub("%([0-9A-F]{2})",
                            lambda m: chr(int(m.group(1), 16)), v)

    def envelope(self, rcpts=("b@example.org",)):
        """The answer to an envelope; None when cleanup hung up."""
        try:
            self.f.write(b"request=submit\nsender=a@example.org\n")
            for rc in rcpts:
                self.f.write(b"rcpt=%s\n" % rc.encode())
            self.f.write(b"\n")
            self.f.flush()
            return self.read()
        except (BrokenPipeError, ConnectionResetError):
            return None

    def close(self):
        try:
            self.f.close()      # flushes: the peer may have hung up
        except (BrokenPipeError, ConnectionResetError):
            pass
        self.s.close()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to become nobody")
def test_cleanup_user_sessions(r):
    """A local user holds at most cleanup_user_sessions connections; the
    next is refused with a temporary failure, and a slot given back is
    free again."""
    rd, wr = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(rd)
            os.setgid(65534)
            os.setuid(65534)
            held = [Cleanup(r), Cleanup(r)]
            third = Cleanup(r)
            ans = third.envelope()
            third.close()
            os.write(wr, repr(ans).encode() + b"\n")
            assert ans["status"] == "tempfail", ans
            assert "too many submissions" in ans["reason"], ans
            held.pop().close()
            again = wait_for(lambda: Cleanup(r).envelope()["status"] ==
                             "ok", 10)
            assert again, "a slot given back is free again"
            code = 0
        except BaseException as e:   # reported through the exit code
            os.write(wr, repr(e).encode() + b"\n")
        finally:
            os._exit(code)
    os.close(wr)
    with os.fdopen(rd) as f:
        said = f.read()
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0, said
    # s6-log writes the line a moment after cleanup logs it
    assert wait_for(lambda: "login=nobody: too many sessions" in
                    r.log("cleanup"), 10)


def test_cleanup_attr_list_limit(r):
    """An envelope over attr_list_limit ends the connection unanswered;
    one under it is fine."""
    c = Cleanup(r)
    try:
        ans = c.envelope(["r%d@example.org" % i for i in range(100)])
        assert ans["status"] == "ok", ans
    finally:
        c.close()
    c = Cleanup(r)
    try:
        assert c.envelope(["r%05d@example.org" % i
                           for i in range(4000)]) is None
    finally:
        c.close()
    assert wait_for(lambda: "attribute list over 65536 bytes" in
                    r.log("cleanup"), 10)


def test_qmgr_sweeps_stale_tmp(r):
    """At start qmgr removes tmp/ files older than queue_tmp_max_age
    (what a crashed cleanup left) and keeps younger ones."""
    tmp = r.path("queue", "tmp")
    old, young = os.path.join(tmp, "stale0001"), os.path.join(tmp,
                                                               "young0001")
    for p in (old, young):
        with open(p, "wb") as f:
            f.write(b"V\0\0\0\x0droost-queue 1")
    two_days = time.time() - 2 * 86400
    os.utime(old, (two_days, two_days))
    r.ctl("restart", "qmgr")
    assert wait_for(lambda: "sweep: removed tmp/stale0001" in r.log("qmgr"),
                    20), r.log("qmgr")[-2000:]
    assert not os.path.exists(old)
    assert os.path.exists(young)
    os.unlink(young)
