"""roost's lmtpd as the LMTP target of Debian's Postfix: a private
Postfix instance whose virtual_transport (for the virtual domain
example.test) and local_transport (for localhost) are both
lmtp:unix:<run_dir>/lmtp relays mail given to it over SMTP into roost's
store, as a Postfix + Dovecot site would."""
import os
import shutil
import smtplib
import socket
import subprocess
import tempfile
import time

import pytest

from roost import wait_for
from test_lmtpd import inbox

POSTFIX = shutil.which("postfix") or "/usr/sbin/postfix"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def run(*cmd):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 0, "%s: %s%s" % (" ".join(cmd), r.stdout,
                                            r.stderr)
    return r


@pytest.fixture
def postfix(fresh):
    """(roost instance, Postfix SMTP port, Postfix directory)."""
    if not os.path.exists(POSTFIX):
        pytest.skip("Debian's postfix is not installed "
                    "(the Makefile's DEB_TEST must list it)")
    if os.geteuid() != 0:
        pytest.skip("a private Postfix instance needs root")
    fresh.start()
    with open(fresh.conf, "a") as f:     # Postfix's lmtp runs as postfix
        f.write("lmtpd_allow_users = postfix\n")
    fresh.ctl("restart", "lmtpd")
    fresh.ctl("user", "add", "alice@example.test")
    pf = tempfile.mkdtemp(prefix="roost-e2e-pf-")
    os.chmod(pf, 0o755)
    port = free_port()
    etc, spool, data = (os.path.join(pf, d) for d in
                        ("etc", "spool", "data"))
    for d in (etc, spool, data):
        os.mkdir(d)
    with open(os.path.join(etc, "main.cf"), "w") as f:
        f.write("""compatibility_level = 3.6
queue_directory = %(spool)s
data_directory = %(data)s
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = pf.localdomain
mydestination = localhost
mynetworks = 127.0.0.0/8
maillog_file_prefixes = /var, /dev/stdout, %(pf)s
maillog_file = %(pf)s/maillog
smtpd_peername_lookup = no
disable_dns_lookups = yes
alias_maps =
local_recipient_maps =
# Every local and virtual recipient goes to roost over LMTP; roost
# itself tells unknown users (RCPT 550), as Dovecot's LMTP would.
local_transport = lmtp:unix:%(lmtp)s
virtual_mailbox_domains = example.test
virtual_transport = lmtp:unix:%(lmtp)s
smtpd_reject_unlisted_recipient = no
""" % {"spool": spool, "data": data, "pf": pf,
       "lmtp": fresh.path("run", "lmtp")})
    with open("/etc/postfix/master.cf") as src, \
            open(os.path.join(etc, "master.cf"), "w") as dst:
        for line in src:
            if line.startswith("smtp ") and " inet " in line:
                line = "127.0.0.1:%d inet n - n - - smtpd\n" % port
            else:   # no chroot: lmtp must reach the socket
                parts = line.split()
                if len(parts) > 4 and parts[1] in ("unix", "inet",
                                                   "unix-dgram", "fifo") \
                        and parts[4] == "y":
                    parts[4] = "n"
                    line = " ".join(parts) + "\n"
            dst.write(line)
    shutil.chown(data, "postfix")
    try:
        run(POSTFIX, "-c", etc, "check")
        run(POSTFIX, "-c", etc, "start")
        wait_for(lambda: connectable(port), 30, 0.1)
        yield fresh, port, pf
    finally:
        subprocess.run([POSTFIX, "-c", etc, "stop"], capture_output=True,
                       timeout=60)
        # postfix stop returns before every daemon is gone
        time.sleep(0.5)
        shutil.rmtree(pf, ignore_errors=True)


def connectable(port):
    try:
        socket.create_connection(("127.0.0.1", port), 1).close()
        return True
    except OSError:
        return False


def maillog(pf):
    try:
        with open(os.path.join(pf, "maillog"), errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def stored(r, user, needle):
    """user's INBOX messages holding needle, read through roostctl; none
    while the user has no store yet."""
    try:
        return [m for m in inbox(r, user) if needle in m]
    except AssertionError:
        return []


def test_postfix_delivers_through_lmtpd(postfix):
    r, port, pf = postfix
    body = ("From: a@example.org\r\nSubject: via postfix\r\n"
            "Message-ID: <pf-1@example.org>\r\n\r\nhello roost\r\n")
    s = smtplib.SMTP("127.0.0.1", port, timeout=30)
    refused = s.sendmail("a@example.org", ["root@localhost",
                                           "alice+ext@example.test",
                                           "nosuch@localhost"], body)
    s.quit()
    assert refused == {}    # Postfix takes them all, then asks roost
    wait_for(lambda: stored(r, "root", b"hello roost") and
             stored(r, "alice@example.test", b"hello roost"), 60, 0.2)
    got = stored(r, "root", b"hello roost")[0]
    assert got.startswith(b"Return-Path: <a@example.org>\r\n")
    assert b"Subject: via postfix\r\n" in got
    # roost's per-recipient replies reach Postfix: two sent, one
    # refused permanently with roost's 550 5.1.1
    wait_for(lambda: maillog(pf).count("status=sent") >= 2 and
             "to=<nosuch@localhost>" in maillog(pf), 60, 0.2)
    log = maillog(pf)
    assert "relay=" in log and "lmtp" in log
    nosuch = [l for l in log.splitlines() if "to=<nosuch@localhost>" in l
              and "lmtp" in l]
    assert nosuch and "status=bounced" in nosuch[0]
    assert "5.1.1" in nosuch[0]
    wait_for(lambda: "to=<root@localhost> user=root" in r.log("lmtpd"), 10)


def test_postfix_duplicate_is_dropped_by_roost(postfix):
    r, port, pf = postfix
    # the duplicate key is Message-ID, From and Date: without a Date,
    # Postfix would add one per copy, to the second
    body = ("From: a@example.org\r\nSubject: dup via postfix\r\n"
            "Date: Mon, 7 Dec 2026 12:00:00 +0000\r\n"
            "Message-ID: <pf-dup@example.org>\r\n\r\nonce only\r\n")
    for _ in range(2):
        s = smtplib.SMTP("127.0.0.1", port, timeout=30)
        s.sendmail("a@example.org", ["root@localhost"], body)
        s.quit()
    wait_for(lambda: maillog(pf).count("status=sent") >= 2, 60, 0.2)
    wait_for(lambda: "status=duplicate" in r.log("lmtpd"), 10)
    assert len(stored(r, "root", b"once only")) == 1
