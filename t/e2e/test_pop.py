"""popd with Python's poplib and a raw socket: every command of RFC 1939
and RFC 2449, pipelining, UIDL stability, DELE+QUIT against DELE and a
dropped connection, other sessions (IMAP and POP) changing the mailbox
meanwhile, and malformed input."""
import base64
import os
import poplib
import signal
import socket
import time

import pytest

from popclient import PASSWORD, PopServer, Raw, message, tls_context
from roost import children, wait_for

USER = "alice"


@pytest.fixture(scope="module")
def srv():
    s = PopServer()
    try:
        s.start()
        for u in (USER, "bob", "carol", "dave", "erin", "frank", "gina",
                  "henry"):
            s.add_user(u)
        yield s
    finally:
        s.finish()


def pop(srv, user=USER, password=PASSWORD):
    p = poplib.POP3("127.0.0.1", srv.port, timeout=30)
    p.user(user)
    p.pass_(password)
    return p


def wire(lines):
    """The octets RETR's lines stand for (poplib has unstuffed them)."""
    return b"".join(ln + b"\r\n" for ln in lines)


@pytest.fixture
def box(srv):
    """alice's INBOX holding five known messages; emptied afterwards."""
    msgs = [message(i) for i in range(1, 6)]
    srv.empty(USER)
    srv.fill(USER, msgs)
    yield msgs
    srv.empty(USER)


def test_capa_before_and_after_login(srv, box):
    p = poplib.POP3("127.0.0.1", srv.port, timeout=30)
    assert p.getwelcome().startswith(b"+OK")
    caps = p.capa()
    for c in ("TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING",
              "USER", "SASL", "IMPLEMENTATION"):
        assert c in caps, caps
    assert "PLAIN" in caps["SASL"] and "SCRAM-SHA-256" in caps["SASL"]
    assert "EXPIRE" not in caps and "LOGIN-DELAY" not in caps
    p.user(USER)
    p.pass_(PASSWORD)
    after = p.capa()
    assert "USER" not in after and "SASL" not in after
    assert "STLS" not in after
    assert "TOP" in after and "UIDL" in after
    p.quit()


def test_stat_list_retr_sizes_are_exact(srv, box):
    p = pop(srv)
    n, size = p.stat()
    assert n == 5 and size == sum(len(m) for m in box)
    resp, lines, _ = p.list()
    assert resp.startswith(b"+OK")
    listed = [tuple(map(int, ln.split())) for ln in lines]
    assert listed == [(i + 1, len(m)) for i, m in enumerate(box)]
    for i, m in enumerate(box, 1):
        assert p.list(i) == b"+OK %d %d" % (i, len(m))
        resp, lines, octets = p.retr(i)
        assert wire(lines) == m
    p.quit()


def test_dot_stuffing_and_missing_final_crlf(srv):
    body = (b".starts with a dot\r\n..two dots\r\n.\r\nplain\r\n"
            b". dot space\r\nlast line without CRLF")
    m = message(1, body)
    m2 = message(2, b"")
    srv.empty("bob")
    srv.fill("bob", [m, m2])
    r = Raw(srv.port)
    r.login("bob")
    # the message lacks a final CRLF: RETR adds one and counts it
    assert r.cmd("LIST 1") == b"+OK 1 %d" % (len(m) + 2)
    assert r.cmd("RETR 1").startswith(b"+OK")
    raw = b""
    while True:
        ln = r.line()
        raw += ln + b"\r\n"
        if ln == b".":
            break
    assert raw.endswith(b"last line without CRLF\r\n.\r\n")
    assert b"\r\n..starts with a dot\r\n...two dots\r\n..\r\nplain\r\n" \
        b".. dot space\r\n" in raw
    unstuffed = raw[:-3].replace(b"\r\n..", b"\r\n.")
    assert len(unstuffed) == len(m) + 2
    # a message with an empty body
    assert r.cmd("LIST 2") == b"+OK 2 %d" % len(m2)
    assert r.cmd("RETR 2").startswith(b"+OK")
    assert wire(r.multi()) == m2
    r.cmd("QUIT")
    r.close()


def test_top(srv, box):
    body = b"line 1\r\nline 2\r\n.line 3\r\nline 4\r\n"
    m = message(9, body)
    srv.fill(USER, [m])
    p = pop(srv)
    head = m[:m.index(b"\r\n\r\n") + 4]
    resp, lines, _ = p.top(6, 0)
    assert resp.startswith(b"+OK") and wire(lines) == head
    resp, lines, _ = p.top(6, 3)
    assert wire(lines) == head + b"line 1\r\nline 2\r\n.line 3\r\n"
    resp, lines, _ = p.top(6, 100)
    assert wire(lines) == m
    for bad in ("TOP 6", "TOP 6 -1", "TOP 6 x", "TOP x 1", "TOP 99 1",
                "TOP 6 1 2"):
        with pytest.raises(poplib.error_proto):
            p._shortcmd(bad)
    p.quit()


def test_uidl_stable_and_unique(srv, box):
    p = pop(srv)
    resp, lines, _ = p.uidl()
    ids = [ln.split()[1] for ln in lines]
    assert len(set(ids)) == 5
    for i in ids:
        assert 1 <= len(i) <= 70 and all(0x21 <= c <= 0x7e for c in i)
    assert p.uidl(3).split()[2] == ids[2]
    p.quit()
    # the same in another session, after another message arrived, after
    # IMAP changed flags and after popd restarted
    srv.fill(USER, [message(6)])
    c = srv.imap(USER)
    c.select("INBOX")
    c.store("2", "+FLAGS", r"(\Flagged)")
    c.logout()
    srv.r.ctl("restart", "popd")
    srv.wait_ready()
    p = pop(srv)
    resp, lines, _ = p.uidl()
    again = [ln.split()[1] for ln in lines]
    assert again[:5] == ids and again[5] not in ids
    p.quit()


def test_dele_applies_only_at_quit(srv, box):
    p = pop(srv)
    assert p.dele(2).startswith(b"+OK")
    assert p.stat() == (4, sum(len(m) for i, m in enumerate(box) if i != 1))
    with pytest.raises(poplib.error_proto, match="deleted"):
        p.retr(2)
    with pytest.raises(poplib.error_proto):
        p.dele(2)
    resp, lines, _ = p.list()
    assert [int(ln.split()[0]) for ln in lines] == [1, 3, 4, 5]
    # another session does not see the mark
    q = pop(srv)
    assert q.stat()[0] == 5
    q.quit()
    assert p.quit().startswith(b"+OK")
    q = pop(srv)
    assert q.stat()[0] == 4
    ids = [wire(q.retr(i)[1]) for i in range(1, 5)]
    assert ids == [box[0], box[2], box[3], box[4]]
    q.quit()


def test_dele_then_drop_deletes_nothing(srv, box):
    r = Raw(srv.port)
    r.login(USER)
    assert r.cmd("DELE 1").startswith(b"+OK")
    assert r.cmd("DELE 2").startswith(b"+OK")
    r.close()       # no QUIT: no UPDATE state
    time.sleep(0.2)
    p = pop(srv)
    assert p.stat()[0] == 5
    p.quit()


def test_kill_9_mid_session_deletes_nothing(srv, box):
    """popd killed outright after DELE (worker and master): the store is
    as before; s6 brings popd back."""
    r = Raw(srv.port)
    r.login(USER)
    assert r.cmd("DELE 1").startswith(b"+OK")
    assert r.cmd("DELE 3").startswith(b"+OK")
    st = srv.r.status()
    master = st["popd"]
    for pid in [master] + children(master):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass    # a worker that went with its master
    assert r.closed()
    wait_for(lambda: srv.r.status().get("popd") not in (None, master), 20)
    srv.wait_ready()
    p = pop(srv)
    assert p.stat()[0] == 5
    p.quit()


def test_rset_undoes_dele(srv, box):
    p = pop(srv)
    p.dele(1)
    p.dele(5)
    assert p.rset().startswith(b"+OK")
    assert p.stat()[0] == 5
    p.quit()
    p = pop(srv)
    assert p.stat()[0] == 5
    p.quit()


def test_deleted_mail_is_recoverable(srv):
    srv.fill("henry", [message(1), message(2)])
    p = pop(srv, "henry")
    p.dele(1)
    p.quit()
    assert pop_count(srv, "henry") == 1
    srv.r.ctl("user", "undelete", "henry")
    assert pop_count(srv, "henry") == 2


def pop_count(srv, user=USER):
    p = pop(srv, user)
    n = p.stat()[0]
    p.quit()
    return n


def test_retr_marks_seen_at_quit_only(srv, box):
    p = pop(srv)
    p.retr(1)
    p.top(2, 0)
    c = srv.imap(USER)
    c.select("INBOX", readonly=True)
    assert b"\\Seen" not in c.fetch("1", "(FLAGS)")[1][0]
    p.quit()
    typ, data = c.fetch("1:2", "(FLAGS)")
    assert b"\\Seen" in data[0] and b"\\Seen" not in data[1]
    c.logout()


def test_imap_expunge_during_pop_session(srv, box):
    p = pop(srv)
    c = srv.imap(USER)
    c.select("INBOX")
    c.store("1,3", "+FLAGS.SILENT", r"(\Deleted)")
    c.expunge()
    # the POP session keeps its snapshot: all five, still retrievable
    assert p.stat()[0] == 5
    assert wire(p.retr(1)[1]) == box[0]
    assert wire(p.retr(3)[1]) == box[2]
    p.dele(1)          # already expunged by IMAP: nothing to do
    p.dele(2)
    assert p.quit().startswith(b"+OK")
    typ, data = c.search(None, "ALL")
    c.logout()
    assert len(data[0].split()) == 2
    q = pop(srv)
    assert [wire(q.retr(i)[1]) for i in (1, 2)] == [box[3], box[4]]
    q.quit()


def test_two_pop_sessions_each_on_own_snapshot(srv, box):
    a = pop(srv)
    b = pop(srv)
    a.dele(1)
    a.quit()
    srv.fill(USER, [message(7)])
    assert b.stat()[0] == 5            # its snapshot, taken at login
    assert wire(b.retr(1)[1]) == box[0]
    b.dele(1)
    assert b.quit().startswith(b"+OK")
    assert pop_count(srv) == 5         # 5 - 1 + 1


def test_pipelining(srv, box):
    r = Raw(srv.port)
    r.line()
    r.send(b"USER alice\r\nPASS " + PASSWORD.encode() +
           b"\r\nSTAT\r\nLIST\r\nUIDL 1\r\nRETR 1\r\nTOP 2 0\r\nDELE 3\r\n"
           b"NOOP\r\nRSET\r\nBOGUS\r\nQUIT\r\n")
    assert r.line().startswith(b"+OK")
    assert r.line().startswith(b"+OK")
    assert r.line() == b"+OK 5 %d" % sum(len(m) for m in box)
    assert r.line().startswith(b"+OK") and len(r.multi()) == 5
    assert r.line().startswith(b"+OK 1 ")
    assert r.line().startswith(b"+OK") and wire(r.multi()) == box[0]
    assert r.line().startswith(b"+OK") and r.multi()[-1] == b""
    for _ in range(3):
        assert r.line().startswith(b"+OK")
    assert r.line().startswith(b"-ERR")
    assert r.line().startswith(b"+OK")
    assert r.closed()


def test_malformed_commands(srv, box):
    r = Raw(srv.port)
    r.line()
    for cmd in ("STAT", "LIST", "RETR 1", "DELE 1", "NOOP", "RSET",
                "UIDL", "TOP 1 1", "PASS x", "USER", "BOGUS", "\x00\x01"):
        assert r.cmd(cmd).startswith(b"-ERR"), cmd
        assert r.cmd("CAPA").startswith(b"+OK")
        r.multi()
    assert r.cmd("USER alice").startswith(b"+OK")
    assert r.cmd("PASS " + PASSWORD).startswith(b"+OK")
    for cmd in ("RETR", "RETR 0", "RETR -1", "RETR +1", "RETR 1x",
                "RETR 99", "RETR 1 2", "RETR 99999999999999999999999",
                "LIST x", "LIST 6", "DELE", "STAT 1", "USER bob",
                "STLS", "AUTH PLAIN", "\x00\x01", "RETR  1", "RSET 1"):
        assert r.cmd(cmd).startswith(b"-ERR"), cmd
        # the connection still works after bad input
        assert r.cmd("NOOP").startswith(b"+OK")
    r.cmd("QUIT")
    r.close()


def test_long_line_and_error_limit(srv):
    r = Raw(srv.port)
    r.line()
    assert r.cmd("NOOP " + "x" * 5000).startswith(b"-ERR Line too long")
    assert r.cmd("CAPA").startswith(b"+OK")      # still in step
    r.multi()
    for _ in range(20):
        try:
            r.send(b"BOGUS\r\n")
        except OSError:
            break
    lines = []
    try:
        while True:
            lines.append(r.line())
    except (EOFError, OSError):
        pass
    assert lines[-1].startswith(b"-ERR Too many errors"), lines
    assert len(lines) == 10 + 1     # the 10th error in a row closes
    r.close()


def test_wrong_password_is_delayed_and_limited(srv):
    r = Raw(srv.port)
    r.line()
    for i in range(3):
        assert r.cmd("USER alice").startswith(b"+OK")
        t = time.monotonic()
        resp = r.cmd("PASS wrong")
        assert resp.startswith(b"-ERR [AUTH]"), resp
        assert time.monotonic() - t >= 0.9
    assert r.line().startswith(b"-ERR [AUTH] Too many failed logins")
    assert r.closed()
    # unknown user: the same answer
    r = Raw(srv.port)
    r.line()
    r.cmd("USER nosuchuser")
    assert r.cmd("PASS x").startswith(b"-ERR [AUTH] Authentication failed")
    r.close()


def test_auth_plain(srv, box):
    cred = base64.b64encode(b"\0alice\0" + PASSWORD.encode()).decode()
    r = Raw(srv.port)
    r.line()
    assert r.cmd("AUTH PLAIN " + cred).startswith(b"+OK")
    assert r.cmd("STAT").startswith(b"+OK 5 ")
    r.cmd("QUIT")
    r.close()
    # without an initial response: an empty challenge first
    r = Raw(srv.port)
    r.line()
    assert r.cmd("AUTH PLAIN").strip() == b"+"
    assert r.cmd(cred).startswith(b"+OK")
    r.close()
    # cancelled
    r = Raw(srv.port)
    r.line()
    assert r.cmd("AUTH PLAIN").strip() == b"+"
    assert r.cmd("*").startswith(b"-ERR")
    assert r.cmd("AUTH LOGIN").startswith(b"+ ")
    assert r.cmd(base64.b64encode(b"alice").decode()).startswith(b"+ ")
    assert r.cmd(base64.b64encode(PASSWORD.encode()).decode()) \
        .startswith(b"+OK")
    r.close()
    # the mechanism list
    r = Raw(srv.port)
    r.line()
    assert r.cmd("AUTH").startswith(b"+OK")
    mechs = r.multi()
    assert b"PLAIN" in mechs and b"SCRAM-SHA-256" in mechs
    assert r.cmd("AUTH NOSUCH").startswith(b"-ERR")
    assert r.cmd("AUTH PLAIN !!!notbase64").startswith(b"-ERR")
    r.close()


def test_auth_scram_sha_256(srv, box):
    from scram import ScramClient
    for mech in ("SCRAM-SHA-256", "SCRAM-SHA-1"):
        sc = ScramClient(mech, "alice", PASSWORD)
        r = Raw(srv.port)
        r.line()
        resp = r.cmd("AUTH %s %s" % (mech, sc.first_b64()))
        assert resp.startswith(b"+ "), resp
        resp = r.cmd(sc.final_b64(resp[2:].decode()))
        assert resp.startswith(b"+ "), resp    # the server's proof
        sc.verify_b64(resp[2:].decode())
        assert r.cmd("").startswith(b"+OK")
        assert r.cmd("STAT").startswith(b"+OK 5 ")
        r.close()


def test_session_limits(srv):
    with srv.settings(["popd"], popd_user_sessions=1, popd_ip_sessions=4):
        a = pop(srv, "carol")
        r = Raw(srv.port)
        r.line()
        r.cmd("USER carol")
        assert r.cmd("PASS " + PASSWORD).startswith(b"-ERR [IN-USE]")
        r.close()
        a.quit()
        b = pop(srv, "carol")
        b.quit()
        # the sessions above end on the server a moment after their
        # clients do: wait until four at once are all let in
        conns = []

        def four_in():
            conns[:] = [Raw(srv.port) for _ in range(4)]
            if all(c.line().startswith(b"+OK") for c in conns):
                return True
            for c in conns:
                c.close()
            return False
        wait_for(four_in, 20, step=0.1)
        r = Raw(srv.port)
        assert r.line().startswith(b"-ERR [SYS/TEMP] Too many connections")
        r.close()
        for c in conns:
            c.close()


def test_expire_and_login_delay(srv):
    srv.fill("dave", [message(1), message(2)])
    with srv.settings(["popd"], popd_expire="0", popd_login_delay="2s"):
        p = poplib.POP3("127.0.0.1", srv.port, timeout=30)
        caps = p.capa()
        assert caps["EXPIRE"] == ["0"] and caps["LOGIN-DELAY"] == ["2"]
        p.user("dave")
        p.pass_(PASSWORD)
        p.retr(1)              # retrieved: expires at QUIT
        p.quit()
        r = Raw(srv.port)
        r.line()
        r.cmd("USER dave")
        assert r.cmd("PASS " + PASSWORD).startswith(b"-ERR [LOGIN-DELAY]")
        r.close()
        time.sleep(2.1)
        p = pop(srv, "dave")
        assert p.stat()[0] == 1
        p.quit()


def test_large_message(srv):
    body = b"".join(b"%06d %s\r\n" % (i, b"." * (i % 70)) for i in range(20000))
    m = message(1, body)
    srv.empty("erin")
    srv.fill("erin", [m])
    p = pop(srv, "erin")
    assert p.list(1) == b"+OK 1 %d" % len(m)
    assert wire(p.retr(1)[1]) == m
    p.quit()


def test_empty_mailbox(srv):
    p = pop(srv, "frank")
    assert p.stat() == (0, 0)
    assert p.list()[1] == []
    assert p.uidl()[1] == []
    with pytest.raises(poplib.error_proto):
        p.retr(1)
    p.quit()


def test_quit_in_authorization_state(srv):
    r = Raw(srv.port)
    r.line()
    assert r.cmd("QUIT").startswith(b"+OK")
    assert r.closed()


def test_log_lines(srv, box):
    p = pop(srv, "gina")
    p.quit()
    # s6-log writes the lines a moment after popd logs them
    wait_for(lambda: "update user=gina" in srv.r.log("popd") or
             "logout user=gina" in srv.r.log("popd"), 10)
    assert "login user=gina mech=USER messages=0" in srv.r.log("popd")


# -- TLS ------------------------------------------------------------------------

def test_stls_and_pop3s(srv, box):
    p = poplib.POP3("127.0.0.1", srv.port, timeout=30)
    assert "STLS" in p.capa()
    p.stls(tls_context())
    assert "STLS" not in p.capa()
    p.user(USER)
    p.pass_(PASSWORD)
    assert wire(p.retr(1)[1]) == box[0]
    with pytest.raises(poplib.error_proto):
        p._shortcmd("STLS")
    p.quit()
    p = poplib.POP3_SSL("127.0.0.1", srv.r.port("pop3s"), timeout=30,
                        context=tls_context())
    assert "STLS" not in p.capa()
    p.user(USER)
    p.pass_(PASSWORD)
    assert p.stat()[0] == 5
    p.quit()
    assert "tls: TLSv1.3" in srv.r.log("pop3-login")


def test_stls_drops_commands_sent_before_the_handshake(srv):
    """CVE-2011-0411: a CAPA pipelined behind STLS in plaintext must not
    be answered inside TLS."""
    r = Raw(srv.port)
    r.line()
    r.send(b"STLS\r\nCAPA\r\n")
    assert r.line().startswith(b"+OK")
    assert r.buf == b""     # nothing else came in plaintext
    t = tls_context().wrap_socket(r.s, server_hostname="localhost")
    t.settimeout(1)
    try:
        data = t.recv(4096)
    except socket.timeout:
        data = b""
    assert data == b""      # CAPA was dropped, not answered under TLS
    s = Raw(None, sock=t)
    s.s.settimeout(10)
    assert s.cmd("NOOP").startswith(b"-ERR")   # the session goes on
    assert s.cmd("CAPA").startswith(b"+OK")
    s.close()


def test_plaintext_refused_without_tls(srv, box):
    with srv.settings(["authd"], auth_plaintext="tls"):
        p = poplib.POP3("127.0.0.1", srv.port, timeout=30)
        caps = p.capa()
        assert "USER" not in caps and "PLAIN" not in caps.get("SASL", [])
        with pytest.raises(poplib.error_proto, match=r"\[AUTH\]"):
            p.user(USER)
        cred = base64.b64encode(b"\0alice\0" + PASSWORD.encode()).decode()
        with pytest.raises(poplib.error_proto):
            p._shortcmd("AUTH PLAIN " + cred)
        p.stls(tls_context())
        assert "USER" in p.capa()
        p.user(USER)
        p.pass_(PASSWORD)
        assert p.stat()[0] == 5
        p.quit()
