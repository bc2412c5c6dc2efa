"""The skeleton daemons answer their protocol's greeting and goodbye
correctly, through real client libraries."""
import imaplib
import poplib
import smtplib
import socket
import time

from roost import children, wait_for


def test_smtp_greeting_ehlo_quit(roost):
    s = smtplib.SMTP("127.0.0.1", roost.port("smtp"), timeout=10)
    code, msg = s.ehlo("client.example")
    assert code == 250
    assert s.has_extn("enhancedstatuscodes")
    assert s.noop()[0] == 250
    assert s.quit()[0] == 221


def test_submission_port_greets(roost):
    s = smtplib.SMTP("127.0.0.1", roost.port("submission"), timeout=10)
    assert s.helo("client.example")[0] == 250
    assert s.quit()[0] == 221


def test_smtp_errors_keep_session_usable(roost):
    with socket.create_connection(("127.0.0.1", roost.port("smtp"))) as s:
        f = s.makefile("rwb")
        assert f.readline().startswith(b"220 ")
        f.write(b"X" * 5000 + b"\r\n")
        f.write(b"HELO\r\n")
        f.write(b"FOO bar\r\n")
        f.write(b"NOOP\r\nQUIT\r\n")   # pipelined: answers in order
        f.flush()
        assert f.readline().startswith(b"500 5.5.2")
        assert f.readline().startswith(b"501 5.5.4")
        assert f.readline().startswith(b"500 5.5.2")
        assert f.readline().startswith(b"250 ")
        assert f.readline().startswith(b"221 ")
        assert f.readline() == b""


def test_lmtp_on_unix_socket(roost):
    lm = smtplib.LMTP(roost.path("run", "lmtp"))
    code, _ = lm.ehlo("client.example")   # smtplib's LMTP sends LHLO
    assert code == 250
    assert lm.quit()[0] == 221


def test_imap_capability_noop_logout(roost):
    m = imaplib.IMAP4("127.0.0.1", roost.port("imap"), timeout=10)
    assert "IMAP4REV1" in m.capabilities
    assert m.noop()[0] == "OK"
    typ, _ = m.logout()
    assert typ == "BYE"


def test_imap_bad_commands(roost):
    with socket.create_connection(("127.0.0.1", roost.port("imap"))) as s:
        f = s.makefile("rwb")
        assert f.readline().startswith(b"* OK")
        # imapd_line_max is 65536 by default.
        f.write(b"a1 FROB\r\nnotag\r\n" + b"a2 " + b"x" * 70000 + b"\r\n")
        f.write(b"a3 LOGOUT\r\n")
        f.flush()
        assert f.readline().startswith(b"a1 BAD Unknown command")
        assert f.readline().startswith(b"notag BAD Missing command")
        assert f.readline().startswith(b"a2 BAD Line too long")
        assert f.readline().startswith(b"* BYE")
        assert f.readline().startswith(b"a3 OK")


def test_pop3_greeting_capa_quit(roost):
    p = poplib.POP3("127.0.0.1", roost.port("pop3"), timeout=10)
    assert p.getwelcome().startswith(b"+OK")
    assert "IMPLEMENTATION" in p.capa()
    assert p.quit().startswith(b"+OK")


def test_cleanup_speaks_its_versioned_protocol(roost):
    s = socket.socket(socket.AF_UNIX)
    s.connect(roost.path("run", "cleanup"))
    f = s.makefile("rwb")
    assert f.readline() == b"proto=cleanup\n"
    assert f.readline() == b"version=1.1\n"
    assert f.readline() == b"\n"
    f.write(b"request=x\n\n")
    f.flush()
    assert f.readline() == b"status=tempfail\n"
    s.close()


def test_qmgr_trigger_is_logged(roost):
    s = socket.socket(socket.AF_UNIX)
    s.connect(roost.path("run", "qmgr"))
    s.send(b"I")
    s.close()
    wait_for(lambda: "qmgr: info: trigger incoming" in roost.log("qmgr"), 5)


def test_worker_pool_grows_under_load_and_is_reused(roost):
    master = roost.status()["smtpd"]
    conns = []
    try:
        # More simultaneous sessions than pre-forked workers: every one
        # is greeted, because the pool grows.
        for _ in range(6):
            c = socket.create_connection(("127.0.0.1", roost.port("smtp")))
            c.settimeout(5)
            conns.append(c)
        for c in conns:
            assert c.recv(100).startswith(b"220 ")
        assert len(children(master)) >= 6
    finally:
        for c in conns:
            c.close()
    # Sequential sessions reuse workers: no fork per connection.
    time.sleep(0.3)
    before = set(children(master))
    for _ in range(30):
        s = smtplib.SMTP("127.0.0.1", roost.port("smtp"), timeout=10)
        s.quit()
    assert set(children(master)) - before == set()


def test_idle_timeout_closes_session(fresh):
    fresh.start()
    with open(fresh.conf, "a") as f:
        f.write("smtpd_timeout = 1s\n")
    fresh.ctl("restart", "smtpd")
    with socket.create_connection(("127.0.0.1", fresh.port("smtp"))) as s:
        s.settimeout(10)
        f = s.makefile("rb")
        assert f.readline().startswith(b"220 ")
        t0 = time.monotonic()
        assert f.readline().startswith(b"421 4.4.2")
        assert f.readline() == b""
        assert time.monotonic() - t0 < 5
