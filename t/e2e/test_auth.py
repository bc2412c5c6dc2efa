"""Logins through every protocol: IMAP AUTHENTICATE and LOGIN, POP3 AUTH
and USER/PASS, SMTP AUTH, with SCRAM checked by a SASL library that is
not ours (GNU gsasl) and by the RFC-built client in scram.py; plaintext
refused without TLS where configured; a brute-force run hitting the
per-address throttle, shared by all services, while the same user still
gets in from another address."""
import base64
import imaplib
import os
import poplib
import shutil
import smtplib
import socket
import subprocess
import time

import pytest

from popclient import PASSWORD, PopServer, Raw, tls_context
from scram import ScramClient

USER = "alice@example.test"


@pytest.fixture(scope="module")
def srv():
    s = PopServer()
    try:
        s.start()
        for u in (USER, "bob@example.test", "mallory@example.test"):
            s.add_user(u)
        yield s
    finally:
        s.finish()



def gsasl(srv, proto, mech, password=PASSWORD):
    """GNU gsasl's client over IMAP or SMTP, without TLS (the mechanisms
    under test are not plaintext ones)."""
    port = srv.r.port("imap" if proto == "imap" else "smtp")
    return subprocess.run(
        ["gsasl", "--" + proto, "127.0.0.1", str(port), "--mechanism",
         mech, "--authentication-id", USER, "--password", password,
         "--no-starttls"],
        input="", capture_output=True, text=True, timeout=30)


@pytest.mark.skipif(not shutil.which("gsasl"), reason="gsasl: make deps-test")
@pytest.mark.parametrize("mech", ["SCRAM-SHA-256", "SCRAM-SHA-1"])
def test_imap_scram_with_gsasl(srv, mech):
    r = gsasl(srv, "imap", mech)
    out = r.stdout + r.stderr
    assert "Logged in" in out and "server trusted" in out, out
    r = gsasl(srv, "imap", mech, "wrong")
    assert "Logged in" not in r.stdout, r.stdout


@pytest.mark.skipif(not shutil.which("gsasl"), reason="gsasl: make deps-test")
def test_smtp_scram_with_gsasl(srv):
    r = gsasl(srv, "smtp", "SCRAM-SHA-256")
    out = r.stdout + r.stderr
    assert "235 " in out and "server trusted" in out, out


def test_imap_capabilities_and_mechanisms(srv):
    c = imaplib.IMAP4("127.0.0.1", srv.r.port("imap"), timeout=30)
    caps = set(c.capabilities)
    for m in ("AUTH=PLAIN", "AUTH=LOGIN", "AUTH=SCRAM-SHA-256",
              "AUTH=SCRAM-SHA-1", "SASL-IR"):
        assert m in caps, caps
    assert "LOGINDISABLED" not in caps
    typ, _ = c.authenticate("PLAIN", lambda _: b"\0%s\0%s" % (
        USER.encode(), PASSWORD.encode()))
    assert typ == "OK"
    c.logout()


def test_imap_scram_sasl_ir(srv):
    sc = ScramClient("SCRAM-SHA-256", USER, PASSWORD)
    r = Raw(srv.r.port("imap"))
    r.line()
    resp = r.cmd("a AUTHENTICATE SCRAM-SHA-256 " + sc.first_b64())
    assert resp.startswith(b"+ "), resp
    resp = r.cmd(sc.final_b64(resp[2:].decode()))
    assert resp.startswith(b"+ "), resp
    sc.verify_b64(resp[2:].decode())
    resp = r.cmd("")
    assert resp.startswith(b"a OK"), resp
    r.close()


def test_imap_failures(srv):
    c = imaplib.IMAP4("127.0.0.1", srv.r.port("imap"), timeout=30)
    t = time.monotonic()
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        c.login(USER, "wrong")
    assert time.monotonic() - t >= 0.9
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        c.login("nobody@example.test", "x")
    c.logout()
    r = Raw(srv.r.port("imap"))
    r.line()
    assert r.cmd("a AUTHENTICATE NOSUCH").startswith(b"a NO")
    assert r.cmd("b AUTHENTICATE PLAIN").startswith(b"+")
    assert r.cmd("*").startswith(b"b BAD")
    assert r.cmd("c AUTHENTICATE PLAIN !!!").startswith((b"c BAD", b"c NO"))
    assert r.cmd("d AUTHENTICATE").startswith(b"d BAD")
    assert r.cmd("e NOOP").startswith(b"e OK")
    r.close()


def test_plaintext_needs_tls_when_configured(srv):
    with srv.settings(["authd"], auth_plaintext="tls"):
        c = imaplib.IMAP4("127.0.0.1", srv.r.port("imap"), timeout=30)
        caps = set(c.capabilities)
        assert "LOGINDISABLED" in caps and "AUTH=PLAIN" not in caps
        assert "AUTH=SCRAM-SHA-256" in caps
        with pytest.raises(imaplib.IMAP4.error, match="PRIVACYREQUIRED"):
            c.login(USER, PASSWORD)
        c.starttls(tls_context())
        assert "AUTH=PLAIN" in c.capabilities
        c.login(USER, PASSWORD)
        c.logout()
        # SMTP hides AUTH until TLS
        s = smtplib.SMTP("127.0.0.1", srv.r.port("submission"), timeout=30)
        s.ehlo()
        assert not s.has_extn("auth")
        s.starttls(context=tls_context())
        s.ehlo()
        assert "PLAIN" in s.esmtp_features["auth"]
        s.login(USER, PASSWORD)
        s.quit()


def test_brute_force_hits_the_throttle(srv):
    """Failures from one address, through IMAP, POP3 and SMTP alike,
    block that address; the user is not locked out elsewhere."""
    with srv.settings(["authd"], auth_ip_failure_limit="6",
                      auth_user_ip_failure_limit="100",
                      auth_failure_delay="0"):
        for i in range(2):
            c = imaplib.IMAP4("127.0.0.1", srv.r.port("imap"), timeout=30)
            with pytest.raises(imaplib.IMAP4.error):
                c.login("mallory@example.test", "guess%d" % i)
            c.logout()
            p = poplib.POP3("127.0.0.1", srv.port, timeout=30)
            p.user("mallory@example.test")
            with pytest.raises(poplib.error_proto):
                p.pass_("guess%d" % i)
            p.quit()
            s = smtplib.SMTP("127.0.0.1", srv.r.port("smtp"), timeout=30)
            s.ehlo()
            with pytest.raises(smtplib.SMTPAuthenticationError):
                s.login("mallory@example.test", "guess%d" % i)
            s.quit()
        # the right password no longer helps from this address
        c = imaplib.IMAP4("127.0.0.1", srv.r.port("imap"), timeout=30)
        with pytest.raises(imaplib.IMAP4.error, match="Too many"):
            c.login("mallory@example.test", PASSWORD)
        c.logout()
        p = poplib.POP3("127.0.0.1", srv.port, timeout=30)
        p.user(USER)
        with pytest.raises(poplib.error_proto, match="Too many"):
            p.pass_(PASSWORD)
        p.quit()
        log = srv.r.log("authd")
        assert "blocked" in log
        assert PASSWORD not in log and "guess1" not in log
        # from another address the same user still gets in
        other = socket.create_connection(
            ("127.0.0.1", srv.r.port("imap")), 30,
            source_address=("127.0.0.2", 0))
        r = Raw(None, sock=other)
        r.line()
        resp = r.cmd('a LOGIN mallory@example.test "%s"' % PASSWORD)
        assert resp.startswith(b"a OK"), resp
        r.close()
        s = smtplib.SMTP("127.0.0.1", srv.r.port("smtp"), timeout=30,
                         source_address=("127.0.0.2", 0))
        s.ehlo()
        s.login("mallory@example.test", PASSWORD)
        s.quit()


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("saslauthd"),
                    reason="needs root (a system account) and sasl2-bin")
def test_system_account_through_saslauthd(srv):
    """auth_source = saslauthd: a system account's password, checked by a
    real saslauthd through PAM (Debian's pam_unix), logs in to IMAP and
    POP3."""
    name = "roostsys%d" % (os.getpid() % 100000)
    mux = srv.r.path("run", "saslauthd")
    os.makedirs(mux, exist_ok=True)
    os.chmod(mux, 0o755)
    subprocess.run(["useradd", "-M", "-s", "/usr/sbin/nologin", name],
                   check=True, capture_output=True)
    sasl = None
    try:
        subprocess.run(["chpasswd"], input="%s:%s\n" % (name, PASSWORD),
                       text=True, check=True, capture_output=True)
        sasl = subprocess.Popen(["saslauthd", "-d", "-a", "pam", "-n",
                                 "1", "-m", mux],
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL,
                                # it signals its whole process group
                                # when it stops
                                start_new_session=True)
        deadline = time.time() + 10
        while not os.path.exists(os.path.join(mux, "mux")):
            assert time.time() < deadline, "saslauthd did not start"
            time.sleep(0.05)
        with srv.settings(["authd"], auth_source="saslauthd",
                          saslauthd_path=os.path.join(mux, "mux")):
            c = imaplib.IMAP4("127.0.0.1", srv.r.port("imap"), timeout=30)
            assert "AUTH=SCRAM-SHA-256" not in c.capabilities
            c.login(name, PASSWORD)
            c.logout()
            p = poplib.POP3("127.0.0.1", srv.port, timeout=30)
            p.user(name)
            p.pass_(PASSWORD)
            p.quit()
            c = imaplib.IMAP4("127.0.0.1", srv.r.port("imap"), timeout=30)
            with pytest.raises(imaplib.IMAP4.error,
                               match="AUTHENTICATIONFAILED"):
                c.login(name, "wrong")
            c.logout()
    finally:
        if sasl is not None:
            sasl.terminate()
            sasl.wait(10)
        subprocess.run(["userdel", name], capture_output=True)


# -- what a reviewer found -------------------------------------------------------
def stalled_scram(srv, n):
    """n IMAP connections that start SCRAM and never answer the first
    challenge: each holds an authd worker."""
    conns = []
    for _ in range(n):
        r = Raw(srv.r.port("imap"))
        r.line()
        assert r.cmd("a AUTHENTICATE SCRAM-SHA-256").startswith(b"+")
        conns.append(r)
    return conns


def test_stalled_logins_cannot_hold_every_authd_worker(srv):
    with srv.settings(["authd"], authd_ip_sessions="2", authd_timeout="3s"):
        stalled = stalled_scram(srv, 2)
        # a third exchange that would wait for this address's client:
        # a temporary failure
        r = Raw(srv.r.port("imap"))
        r.line()
        resp = r.cmd("a AUTHENTICATE SCRAM-SHA-256")
        assert resp.startswith(b"a NO [UNAVAILABLE]"), resp
        r.close()
        # a login that needs no answer still goes through at once, from
        # this address and from any other
        t = time.monotonic()
        c = imaplib.IMAP4("127.0.0.1", srv.r.port("imap"), timeout=30)
        c.login(USER, PASSWORD)
        c.logout()
        s = smtplib.SMTP("127.0.0.1", srv.r.port("smtp"), timeout=30,
                         source_address=("127.0.0.2", 0))
        s.ehlo()
        s.login(USER, PASSWORD)
        s.quit()
        assert time.monotonic() - t < 2
        # authd gives the stalled workers back after authd_timeout
        time.sleep(3.5)
        for r in stalled:
            assert r.cmd("").startswith(b"a NO"), "stalled login ended"
            r.close()
        more = stalled_scram(srv, 1)
        more[0].close()


def test_blocked_pair_answers_alike_right_or_wrong(srv):
    """Once a user is blocked from an address, the right password gets
    the very answer a wrong one gets."""
    cred = lambda pw: base64.b64encode(  # noqa: E731
        b"\0bob@example.test\0" + pw.encode()).decode()
    with srv.settings(["authd"], auth_user_ip_failure_limit="3",
                      auth_failure_delay="0"):
        s = smtplib.SMTP("127.0.0.1", srv.r.port("smtp"), timeout=30)
        s.ehlo()
        for i in range(3):
            assert s.docmd("AUTH PLAIN " + cred("x%d" % i))[0] == 535
        s.close()       # smtpd hangs up after the third failure
        answers = []
        for pw in ("wrong", PASSWORD, "other"):
            s = smtplib.SMTP("127.0.0.1", srv.r.port("smtp"), timeout=30)
            s.ehlo()
            answers.append(s.docmd("AUTH PLAIN " + cred(pw)))
            s.quit()
        assert answers[0] == answers[1] == answers[2], answers
        assert answers[0][0] == 454


def test_stalled_tls_handshakes_count_against_the_address(srv):
    with srv.settings(["popd"], popd_ip_sessions="3",
                      tls_handshake_timeout="2s"):
        stalled = [socket.create_connection(("127.0.0.1",
                                             srv.r.port("pop3s")), 5)
                   for _ in range(3)]
        time.sleep(0.3)
        extra = socket.create_connection(("127.0.0.1", srv.r.port("pop3s")),
                                         5)
        extra.settimeout(5)
        assert extra.recv(100) == b""        # closed at once
        extra.close()
        # from another address, TLS works meanwhile
        other = socket.create_connection(("127.0.0.1", srv.r.port("pop3s")),
                                         5, source_address=("127.0.0.2", 0))
        t = tls_context().wrap_socket(other, server_hostname="localhost")
        assert t.recv(100).startswith(b"+OK")
        t.close()
        # the stalled handshakes are dropped after tls_handshake_timeout
        for c in stalled:
            c.settimeout(5)
            assert c.recv(100) == b""
            c.close()


def test_authd_down_is_a_temporary_failure(srv):
    srv.r.service("authd", False)
    try:
        c = imaplib.IMAP4("127.0.0.1", srv.r.port("imap"), timeout=30)
        assert "LOGINDISABLED" not in c.capabilities
        with pytest.raises(imaplib.IMAP4.error, match="UNAVAILABLE"):
            c.login(USER, PASSWORD)
        c.logout()
        r = Raw(srv.port)
        r.line()
        assert r.cmd("USER " + USER).startswith(b"+OK")
        assert r.cmd("PASS " + PASSWORD).startswith(b"-ERR [SYS/TEMP]")
        r.close()
        s = smtplib.SMTP("127.0.0.1", srv.r.port("smtp"), timeout=30)
        s.ehlo()
        code, _ = s.docmd("AUTH PLAIN " + base64.b64encode(
            b"\0x\0y").decode())
        assert code == 454
        s.quit()
    finally:
        srv.r.service("authd", True)


def test_smtp_login_before_starttls_is_forgotten(srv):
    s = smtplib.SMTP("127.0.0.1", srv.r.port("submission"), timeout=30)
    s.ehlo()
    s.login(USER, PASSWORD)          # in the clear, from loopback
    s.starttls(context=tls_context())
    s.ehlo()
    assert s.has_extn("auth")
    assert s.mail(USER)[0] == 530
    s.rset()
    s.login(USER, PASSWORD)
    assert s.mail(USER)[0] == 250
    s.quit()


def test_empty_initial_response_is_not_no_response(srv):
    r = Raw(srv.port)
    r.line()
    resp = r.cmd("AUTH PLAIN =")
    assert resp.startswith(b"-ERR"), resp     # no "+" challenge
    r.close()
