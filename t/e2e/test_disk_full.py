"""Disk full: the queue and the store each on a small tmpfs of their own.
A full queue gets 452 4.3.1 from smtpd (at MAIL, or after the data when
the message itself fills it) and leaves nothing queued; a full store gets
452 4.3.1 from lmtpd and qmgr keeps the message; when space returns,
mail flows again by itself, each message delivered once."""
import errno
import imaplib
import os
import smtplib
import subprocess
import uuid

import pytest

from roost import Roost, wait_for

pytestmark = pytest.mark.skipif(os.geteuid() != 0,
                                reason="needs root to mount a tmpfs")

USER = "dora"
FS_SIZE = "2m"


def mount_tmpfs(path):
    os.makedirs(path, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o",
                    "size=%s,mode=0755" % FS_SIZE, "roost-test", path],
                   check=True, timeout=30)


def umount(path):
    subprocess.run(["umount", "-l", path], check=False, timeout=30)


def fill(path):
    """Fill the file system of path; the filler file's name."""
    filler = os.path.join(path, "filler")
    with open(filler, "wb") as f:
        chunk = b"\0" * 65536
        try:
            while True:
                f.write(chunk)
                f.flush()
        except OSError as e:
            assert e.errno == errno.ENOSPC, e
    return filler


@pytest.fixture
def r():
    inst = Roost()
    mounted = []
    try:
        for d in ("queue", "store"):
            mount_tmpfs(inst.path(d))
            mounted.append(inst.path(d))
        inst.start()
        with open(inst.conf, "a") as f:
            f.write("message_size_limit = 64k\n"
                    "minimal_backoff_time = 1s\n"
                    "maximal_backoff_time = 2s\n"
                    "queue_run_delay = 1s\n")
        for svc in ("smtpd", "cleanup", "qmgr", "lmtpd"):
            inst.ctl("restart", svc)
        inst.add_user(USER, "secret")
        yield inst
    finally:
        inst.finish()
        for p in mounted:
            umount(p)


def message(marker, size=2000):
    return (b"From: <a@example.org>\r\nSubject: full\r\nX-Test: %s\r\n\r\n"
            % marker.encode()) + (b"y" * 70 + b"\r\n") * (size // 72)


def smtp(r):
    s = smtplib.SMTP("127.0.0.1", r.port("smtp"), timeout=30)
    s.ehlo("client.example")
    return s


def delivered(r, marker):
    """How many of USER's stored messages carry marker."""
    res = r.ctl("mailbox", "show", USER, "INBOX", check=False)
    n = 0
    for line in res.stdout.splitlines():
        name = line.split("\t")[-1]
        with open(r.path("store", "u", USER, "msg", name), "rb") as fh:
            n += (b"X-Test: " + marker.encode()) in fh.read()
    return n


def queued(r):
    """Queue files anywhere under the queue's directories but tmp/."""
    out = []
    for d in ("incoming", "active", "deferred", "hold"):
        p = r.path("queue", d)
        if os.path.isdir(p):
            out += [f for f in os.listdir(p) if not f.startswith(".")]
    return out


def test_full_queue_refuses_with_452_and_recovers(r):
    filler = fill(r.path("queue"))
    with smtp(r) as s:
        code, msg = s.mail("a@example.org")
        assert code == 452 and msg.startswith(b"4.3.1"), (code, msg)
    assert queued(r) == []
    # room for the check at MAIL (queue_minfree 1 byte), not for the
    # message: cleanup's write fails and smtpd says so after the data
    with open(r.conf, "a") as f:
        f.write("queue_minfree = 1\n")
    r.ctl("restart", "smtpd")
    os.truncate(filler, os.path.getsize(filler) - 16384)
    with smtp(r) as s:
        s.mail("a@example.org")
        s.rcpt("%s@localhost" % USER)
        code, msg = s.data(message("big", 60000))
        assert code == 452 and msg.startswith(b"4.3.1"), (code, msg)
    assert queued(r) == []
    assert os.listdir(r.path("queue", "tmp")) == [], "tmp/ cleaned up"
    # s6-log writes the line a moment after cleanup logs it
    assert wait_for(lambda: "insufficient system storage" in
                    r.log("cleanup"), 10)
    # space returns: the same message goes through, once
    os.unlink(filler)
    marker = uuid.uuid4().hex
    with smtp(r) as s:
        s.sendmail("a@example.org", ["%s@localhost" % USER],
                   message(marker, 60000))
    assert wait_for(lambda: delivered(r, marker) == 1, 30)
    assert delivered(r, "big") == 0


def test_full_store_defers_and_delivers_once_space_returns(r):
    filler = fill(r.path("store"))
    marker = uuid.uuid4().hex
    with smtp(r) as s:
        s.sendmail("a@example.org", ["%s@localhost" % USER],
                   message(marker))
    # lmtpd says 452 4.3.1; qmgr keeps the message and retries
    assert wait_for(lambda: "4.3.1" in r.log("qmgr"), 30), \
        r.log("qmgr")[-2000:]
    assert delivered(r, marker) == 0
    assert len(queued(r)) == 1
    # an IMAP APPEND meets the same full disk, and says so
    im = imaplib.IMAP4("127.0.0.1", r.port("imap"), timeout=30)
    try:
        im.login(USER, "secret")
        typ, data = im.append("INBOX", None, None, message("append"))
        assert typ == "NO" and data[0].startswith(b"[UNAVAILABLE]"), data
        # one big enough to go to a spool file as it is read (imapd's
        # limit is still the default): the same, and no spool file left
        typ, data = im.append("INBOX", None, None,
                              message("append", 200000))
        assert typ == "NO" and data[0].startswith(b"[UNAVAILABLE]"), data
        assert os.listdir(r.path("store", "tmp")) == []
        assert im.noop()[0] == "OK"
    finally:
        im.logout()
    os.unlink(filler)
    assert wait_for(lambda: delivered(r, marker) == 1, 30), \
        r.log("qmgr")[-2000:]
    assert wait_for(lambda: queued(r) == [], 30)
    assert delivered(r, marker) == 1
