"""The login split (doc/SECURITY.md): imap-login and pop3-login speak to
clients until they log in and hand the session to imapd or popd, which
take the user only from authd's one-time ticket.  Tickets are good
once and for their service; a login process may not redeem them; a
forged hand-off, or one from another account, gets nothing; what a
client pipelines behind its login reaches the daemon; TLS sessions are
relayed whole; the per-address limit holds across the hand-off."""
import base64
import imaplib
import os
import poplib
import pwd
import socket
import ssl

import pytest

from roost import Roost, wait_for

USER, PASSWORD = "split@example.test", "split-secret"


@pytest.fixture(scope="module")
def r():
    inst = Roost()
    try:
        inst.start()
        with open(inst.conf, "a") as f:
            f.write("imapd_ip_sessions = 3\nimapd_login_timeout = 2s\n")
        out = inst.ctl("restart", "imapd").stdout
        assert "imapd restarted" in out and "imap-login restarted" in out
        inst.add_user(USER, PASSWORD)
        yield inst
    finally:
        inst.finish()


def tls_ctx():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class Authd:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.settimeout(10)
        self.s.connect(path)
        self.f = self.s.makefile("rwb")

    def cmd(self, line):
        self.f.write(line.encode() + b"\n")
        self.f.flush()
        return self.f.readline().decode().rstrip("\n")

    def close(self):
        self.f.close()
        self.s.close()


def login_ticket(r, service="imap"):
    a = Authd(r.path("run", "login", "auth"))
    try:
        assert a.cmd("VERSION 1 1") == "VERSION 1 1"
        ir = base64.b64encode(b"\0" + USER.encode() + b"\0" +
                              PASSWORD.encode()).decode()
        assert a.cmd("AUTH %s PLAIN 127.0.0.1 1 %s" % (service, ir)) == \
            "OK " + USER
        t = a.cmd("TICKET")
        assert t.startswith("TICKET ") and len(t) == 7 + 32, t
        return t[7:]
    finally:
        a.close()


def redeem(r, service, ticket):
    a = Authd(r.path("run", "auth"))
    try:
        return a.cmd("REDEEM %s %s" % (service, ticket))
    finally:
        a.close()


def test_a_ticket_is_good_once_and_for_its_service(r):
    t = login_ticket(r)
    assert redeem(r, "imap", t) == "OK " + USER
    assert redeem(r, "imap", t).startswith("FAIL credentials")
    assert redeem(r, "pop", login_ticket(r)).startswith("FAIL credentials")
    assert redeem(r, "imap", "0" * 32).startswith("FAIL credentials")
    # a ticket only right after a login on the same connection
    a = Authd(r.path("run", "login", "auth"))
    try:
        assert a.cmd("TICKET").startswith("FAIL malformed")
    finally:
        a.close()


def as_user(name, fn):
    """Run fn() in a child as account name: its exit status."""
    pw = pwd.getpwnam(name)
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setgid(pw.pw_gid)
            os.setuid(pw.pw_uid)
            os._exit(0 if fn() else 1)
        except BaseException:
            os._exit(2)
    return os.waitpid(pid, 0)[1] >> 8


@pytest.mark.skipif(os.geteuid() != 0, reason="accounts need root")
def test_a_login_process_may_not_redeem_tickets(r):
    t = login_ticket(r)

    def try_redeem():
        a = Authd(r.path("run", "login", "auth"))
        return a.cmd("REDEEM imap %s" % t) == \
            "FAIL tempfail 0 permission denied"
    assert as_user("roost-login", try_redeem) == 0
    # the refusal did not use the ticket up
    assert redeem(r, "imap", t) == "OK " + USER


def handoff_greeting(s):
    got = b""
    while not got.endswith(b"\n\n"):
        b = s.recv(4096)
        if not b:
            return got
        got += b
    return got


def forged_handoff(r, ticket):
    """Hand imapd a session of our own; what imapd says to the client."""
    client, ours = socket.socketpair()
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    ours.settimeout(10)
    s.connect(r.path("run", "login", "imapd"))
    assert handoff_greeting(s) == b"proto=handoff\nversion=1.0\n\n"
    socket.send_fds(s, [b"F"], [client.fileno()])
    client.close()
    s.sendall(("version=1.0\nticket=%s\nuser=%s\nmech=LOGIN\n"
               "peer=127.0.0.1\nport=1\ntag=a1\n\n" % (ticket, USER))
              .encode())
    assert handoff_greeting(s) == b"status=ok\n\n"
    s.close()
    got = b""
    while b"\r\n" not in got or not got.endswith(b"\r\n"):
        b = ours.recv(4096)
        if not b:
            break
        got += b
    ours.close()
    return got.decode()


def test_imapd_takes_the_user_only_from_a_good_ticket(r):
    said = forged_handoff(r, "f" * 32)
    assert said.startswith("a1 NO [UNAVAILABLE]"), said
    wait_for(lambda: "ticket refused" in r.log("imapd"), 10)
    # with a real ticket the same hand-off logs in
    said = forged_handoff(r, login_ticket(r))
    assert said.startswith("a1 OK [CAPABILITY "), said


@pytest.mark.skipif(os.geteuid() != 0, reason="accounts need root")
def test_only_a_login_process_may_hand_sessions_over(r):
    def connect():
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(10)
        s.connect(r.path("run", "login", "imapd"))
        return s.recv(100) == b""   # closed without a greeting
    assert as_user("nobody", connect) == 0
    wait_for(lambda: "handoff refused from uid=%d" %
             pwd.getpwnam("nobody").pw_uid in r.log("imapd"), 10)


def pipelined(sock, commands, until):
    sock.sendall(commands)
    got = b""
    while until not in got:
        b = sock.recv(65536)
        if not b:
            break
        got += b
    return got.decode()


@pytest.mark.parametrize("tls", [False, True])
def test_commands_pipelined_behind_the_login_reach_imapd(r, tls):
    s = socket.create_connection(("127.0.0.1", r.port("imaps" if tls
                                                      else "imap")), 10)
    if tls:
        s = tls_ctx().wrap_socket(s)
    s.recv(4096)    # the greeting
    got = pipelined(s, ("a LOGIN %s %s\r\nb SELECT INBOX\r\nc NOOP\r\n"
                        "d LOGOUT\r\n" % (USER, PASSWORD)).encode(),
                    b"d OK")
    for tag in "abcd":
        assert "\r\n%s OK" % tag in "\r\n" + got, got
    s.close()


def test_commands_pipelined_behind_the_login_reach_popd(r):
    s = socket.create_connection(("127.0.0.1", r.port("pop3")), 10)
    s.recv(4096)
    got = pipelined(s, ("USER %s\r\nPASS %s\r\nSTAT\r\nQUIT\r\n" %
                        (USER, PASSWORD)).encode(), b"signing off")
    assert got.count("+OK") == 4, got
    s.close()


@pytest.mark.parametrize("port", ["imap", "imaps"])
def test_the_login_deadline_ends_at_login(r, port):
    """imapd_login_timeout (2 s here) bounds the login, not the session:
    a session relayed over TLS outlives it as a plain one does."""
    import time
    if port == "imaps":
        m = imaplib.IMAP4_SSL("127.0.0.1", r.port(port),
                              ssl_context=tls_ctx())
    else:
        m = imaplib.IMAP4("127.0.0.1", r.port(port))
    m.login(USER, PASSWORD)
    time.sleep(3)
    assert m.noop()[0] == "OK"
    m.logout()


def test_the_tls_relay_carries_a_large_message_both_ways(r):
    body = b"".join(b"line %07d of a long message\r\n" % i
                    for i in range(100000))
    msg = b"Subject: big\r\n\r\n" + body
    m = imaplib.IMAP4_SSL("127.0.0.1", r.port("imaps"),
                          ssl_context=tls_ctx())
    m.login(USER, PASSWORD)
    typ, _ = m.append("INBOX", None, None, msg)
    assert typ == "OK"
    m.select("INBOX")
    typ, data = m.search(None, "SUBJECT", "big")
    n = data[0].split()[-1]
    typ, data = m.fetch(n, "(BODY.PEEK[])")
    assert data[0][1] == msg
    m.logout()


def test_the_address_limit_holds_across_the_handoff(r):
    held = []
    for _ in range(3):
        m = imaplib.IMAP4("127.0.0.1", r.port("imap"))
        m.login(USER, PASSWORD)
        held.append(m)
    s = socket.create_connection(("127.0.0.1", r.port("imap")), 10)
    assert s.recv(4096).startswith(b"* BYE Too many connections")
    s.close()
    held.pop().logout()

    def fourth():
        m = imaplib.IMAP4("127.0.0.1", r.port("imap"))
        m.login(USER, PASSWORD)
        held.append(m)
        return True
    wait_for(lambda: _try(fourth), 10)
    for m in held:
        m.logout()


def _try(fn):
    try:
        return fn()
    except (imaplib.IMAP4.abort, imaplib.IMAP4.error, OSError):
        return False


def test_a_pop3s_session_is_relayed(r):
    p = poplib.POP3_SSL("127.0.0.1", r.port("pop3s"), context=tls_ctx())
    p.user(USER)
    assert p.pass_(PASSWORD).startswith(b"+OK Logged in")
    assert p.stat()[0] >= 0
    p.quit()
    wait_for(lambda: "handoff user=%s to=popd" % USER in
             r.log("pop3-login"), 10)


def test_unused_slot_files_are_swept(r):
    """A slot file per client address and per user would pile up for
    ever; the masters sweep the unused ones at start and every minute
    (here: at the restart)."""
    m = imaplib.IMAP4("127.0.0.1", r.port("imap"))
    m.login(USER, PASSWORD)
    m.logout()

    def slots(d):
        return [n for n in os.listdir(r.path("run", d))
                if n.rsplit(".", 1)[-1].isdigit()]
    r.ctl("restart", "imapd")
    # the sweep runs just after each master says it is ready
    wait_for(lambda: slots("imapd") == [] and slots("imap-login") == [],
             10)
    m = imaplib.IMAP4("127.0.0.1", r.port("imap"))
    m.login(USER, PASSWORD)
    # a slot in use is there (the sweep leaves held ones alone)
    assert any(n.startswith("split@example.test.") for n in slots("imapd"))
    m.logout()
