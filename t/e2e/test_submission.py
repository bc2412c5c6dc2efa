"""Submission and relay policy: 587 wants STARTTLS and AUTH before MAIL,
465 wants AUTH, 25 takes mail for local domains from anyone and relays
only for mynetworks and authenticated clients; an authenticated client
sends only as its own addresses; every classic open-relay trick is
refused.  Driven with smtplib, swaks and msmtp."""
import base64
import os
import shutil
import smtplib
import socket
import subprocess
import tempfile
import time

import pytest

from popclient import PASSWORD, PopServer, Raw, tls_context
from roost import BIN, wait_for

USER = "alice@example.test"
REMOTE = "someone@remote.example"


@pytest.fixture(scope="module")
def srv():
    s = PopServer()
    try:
        s.start()
        for u in (USER, "bob@example.test"):
            s.add_user(u)
        with open(s.r.path("etc", "virtual"), "w") as f:
            f.write("sales@example.test alice@example.test\n"
                    "team@example.test bob@example.test\n")
        subprocess.run([os.path.join(BIN, "newaliases")], check=True,
                       capture_output=True, timeout=60,
                       env=dict(os.environ, ROOST_CONF=s.r.conf))
        yield s
    finally:
        s.finish()



def submission(srv, login=True):
    s = smtplib.SMTP("127.0.0.1", srv.r.port("submission"), timeout=30)
    s.ehlo()
    s.starttls(context=tls_context())
    s.ehlo()
    if login:
        s.login(USER, PASSWORD)
    return s


def msg(sender, subject):
    return ("From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\n\r\nhello\r\n"
            % (sender, USER, subject))


def test_587_needs_starttls_then_auth(srv):
    s = smtplib.SMTP("127.0.0.1", srv.r.port("submission"), timeout=30)
    s.ehlo()
    assert s.has_extn("starttls")
    code, text = s.mail(USER)
    assert code == 530 and b"STARTTLS" in text
    s.rset()
    s.starttls(context=tls_context())
    s.ehlo()
    assert "SCRAM-SHA-256" in s.esmtp_features["auth"]
    code, text = s.mail(USER)
    assert code == 530 and b"Authentication required" in text
    s.login(USER, PASSWORD)
    assert s.mail(USER)[0] == 250
    assert s.rcpt(USER)[0] == 250
    assert s.rcpt(REMOTE)[0] == 250        # authenticated: may relay
    s.quit()


def test_465_needs_auth(srv):
    s = smtplib.SMTP_SSL("127.0.0.1", srv.r.port("smtps"), timeout=30,
                         context=tls_context())
    s.ehlo()
    assert s.mail(USER)[0] == 530
    s.rset()
    s.login(USER, PASSWORD)
    s.sendmail(USER, [USER], msg(USER, "via 465"))
    s.quit()


def test_sender_login_check(srv):
    s = submission(srv)
    for ok in (USER, "alice+tag@example.test", "sales@example.test", ""):
        assert s.mail(ok)[0] == 250, ok
        s.rset()
    for bad in ("bob@example.test", "team@example.test", REMOTE,
                "postmaster@example.test"):
        code, text = s.mail(bad)
        assert code == 553 and b"5.7.1" in text, (bad, text)
        s.rset()
    s.quit()
    # s6-log writes the line a moment after smtpd does
    wait_for(lambda: "not owned by user=alice@example.test" in
             srv.r.log("smtpd"), 10)


def test_submitted_mail_arrives_with_esmtpsa(srv):
    s = submission(srv)
    s.sendmail(USER, [USER], msg(USER, "submitted"))
    s.quit()
    head = received_of(srv, "submitted")
    assert "with ESMTPSA" in head and "TLSv1." in head, head


def received_of(srv, subject):
    """The Received header of the message with subject in alice's
    INBOX, once it is there."""
    c = srv.imap(USER)
    deadline = time.time() + 20
    while True:
        c.select("INBOX")
        typ, data = c.search(None, "SUBJECT", '"%s"' % subject)
        if data[0]:
            break
        assert time.time() < deadline, "not delivered"
        time.sleep(0.2)
    typ, data = c.fetch(data[0].split()[-1], "(BODY.PEEK[HEADER])")
    c.logout()
    return data[0][1].decode(errors="replace")


def test_smtputf8_submission_is_utf8smtpsa(srv):
    s = smtplib.SMTP_SSL("127.0.0.1", srv.r.port("smtps"), timeout=30,
                         context=tls_context())
    s.ehlo()
    s.login(USER, PASSWORD)
    s.sendmail(USER, [USER], msg(USER, "utf8 submitted").encode(),
               mail_options=["SMTPUTF8"])
    s.quit()
    assert "with UTF8SMTPSA" in received_of(srv, "utf8 submitted")


def test_auth_command_errors(srv):
    r = Raw(srv.r.port("smtp"))
    assert r.line().startswith(b"220")
    assert r.cmd("AUTH PLAIN").startswith(b"503")       # before EHLO
    r.send(b"EHLO x\r\n")
    while not r.line().startswith(b"250 "):
        pass
    assert r.cmd("AUTH").startswith(b"501")
    assert r.cmd("AUTH NOSUCH").startswith(b"504")
    assert r.cmd("AUTH PLAIN").startswith(b"334")
    assert r.cmd("*").startswith(b"501")
    assert r.cmd("AUTH PLAIN !!!!").startswith(b"501")
    cred = base64.b64encode(b"\0%s\0%s" % (USER.encode(),
                                           PASSWORD.encode())).decode()
    assert r.cmd("MAIL FROM:<%s>" % USER).startswith(b"250")
    assert r.cmd("AUTH PLAIN " + cred).startswith(b"503")  # in MAIL
    assert r.cmd("RSET").startswith(b"250")
    assert r.cmd("AUTH PLAIN " + cred).startswith(b"235")
    assert r.cmd("AUTH PLAIN " + cred).startswith(b"503")  # again
    assert r.cmd("MAIL FROM:<%s> AUTH=<>" % USER).startswith(b"250")
    assert r.cmd("RSET").startswith(b"250")
    assert r.cmd("MAIL FROM:<%s> AUTH=a+2Bb" % USER).startswith(b"250")
    assert r.cmd("RSET").startswith(b"250")
    assert r.cmd("MAIL FROM:<%s> AUTH=" % USER).startswith(b"501")
    r.close()


def test_wrong_passwords_close_the_connection(srv):
    s = smtplib.SMTP("127.0.0.1", srv.r.port("smtp"), timeout=30)
    s.ehlo()
    for i in range(3):
        cred = base64.b64encode(b"\0%s\0wrong%d" % (USER.encode(), i))
        code, text = s.docmd("AUTH PLAIN " + cred.decode())
        assert code == 535 and b"5.7.8" in text
    with pytest.raises(smtplib.SMTPServerDisconnected):
        s.noop()


# Unauthenticated relay attempts, from a client outside mynetworks.
RELAY_TRICKS = [
    REMOTE,
    "SOMEONE@REMOTE.EXAMPLE",
    "someone%remote.example@localhost",
    "someone%remote.example@example.test",
    "@localhost:someone@remote.example",
    "@example.test,@localhost:someone@remote.example",
    '"someone@remote.example"@localhost',
    '"someone%remote.example"@example.test',
    "remote.example!someone@localhost",
    "remote.example!someone",
    "someone@remote.example.",
    "someone@remote.example@localhost",
    "someone@[192.0.2.1]",
    "someone@[IPv6:2001:db8::1]",
    "someone@[127.0.0.1]",
    "someone@localhost@remote.example",
    "someone@remote.example\\@localhost",
    "<someone@remote.example>",
]


@pytest.fixture
def outsider(srv):
    """smtpd with mynetworks not covering loopback: the tests are then
    strangers on port 25."""
    with srv.settings(["smtpd"], mynetworks="192.0.2.0/24"):
        yield


def test_open_relay_tricks_refused(srv, outsider):
    s = smtplib.SMTP("127.0.0.1", srv.r.port("smtp"), timeout=30)
    s.ehlo()
    for rcpt in RELAY_TRICKS:
        assert s.mail("spammer@remote.example")[0] == 250
        code, text = s.docmd("RCPT TO:<%s>" % rcpt.strip("<>")
                             if not rcpt.startswith("<") else
                             "RCPT TO:%s" % rcpt)
        assert code >= 500, (rcpt, code, text)
        s.rset()
    # mail for a local user is taken from anyone
    assert s.mail("stranger@remote.example")[0] == 250
    assert s.rcpt(USER)[0] == 250
    s.rset()
    # and authenticated, the same stranger may relay
    s.login(USER, PASSWORD)
    assert s.mail(USER)[0] == 250
    assert s.rcpt(REMOTE)[0] == 250
    s.quit()
    assert "Relay access denied" in srv.r.log("smtpd")


@pytest.mark.skipif(not shutil.which("swaks"), reason="make deps-test")
@pytest.mark.parametrize("mech", ["PLAIN", "LOGIN"])
def test_swaks_auth(srv, mech):
    r = subprocess.run(
        ["swaks", "--server", "127.0.0.1:%d" % srv.r.port("submission"),
         "--tls", "--auth", mech, "--auth-user", USER,
         "--auth-password", PASSWORD, "--from", USER, "--to", USER,
         "--header", "Subject: swaks %s" % mech],
        capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "235 2.7.0" in r.stdout
    r = subprocess.run(
        ["swaks", "--server", "127.0.0.1:%d" % srv.r.port("smtps"),
         "--tlsc", "--auth", mech, "--auth-user", USER,
         "--auth-password", "wrong", "--from", USER, "--to", USER],
        capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "535 5.7.8" in r.stdout, r.stdout


@pytest.mark.skipif(not shutil.which("msmtp"), reason="make deps-test")
def test_msmtp_through_587(srv):
    d = tempfile.mkdtemp(prefix="msmtp-")
    try:
        conf = os.path.join(d, "msmtprc")
        with open(conf, "w") as f:
            f.write("account default\nhost 127.0.0.1\nport %d\n"
                    "tls on\ntls_starttls on\ntls_certcheck off\n"
                    "auth on\nuser %s\npassword %s\nfrom %s\n"
                    % (srv.r.port("submission"), USER, PASSWORD, USER))
        os.chmod(conf, 0o600)
        r = subprocess.run(["msmtp", "-C", conf, "-t"],
                           input=msg(USER, "msmtp").replace("\r\n", "\n"),
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stdout + r.stderr
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_connections_per_address_are_limited(srv):
    with srv.settings(["smtpd"], mynetworks="192.0.2.0/24",
                      smtpd_ip_sessions="2", smtpd_pregreet_wait="0"):
        held = [Raw(srv.r.port("smtp")) for _ in range(2)]
        for r in held:
            assert r.line().startswith(b"220")
        r = Raw(srv.r.port("smtp"))
        assert r.line().startswith(b"421 4.7.0")
        r.close()
        # on 465 the refusal comes before the handshake: no bytes at all
        s = socket.create_connection(("127.0.0.1", srv.r.port("smtps")), 5)
        s.settimeout(5)
        assert s.recv(100) == b""
        s.close()
        # another address is not affected
        other = socket.create_connection(("127.0.0.1", srv.r.port("smtp")),
                                         5, source_address=("127.0.0.2", 0))
        assert Raw(None, sock=other).line().startswith(b"220")
        other.close()
        for r in held:
            r.close()
    assert "too many connections" in srv.r.log("smtpd")
