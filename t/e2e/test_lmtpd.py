"""lmtpd (RFC 2033): LMTP over its Unix socket into the store, with one
reply per recipient after the data, duplicate suppression, quota,
+detail and single-instance storage (hard links)."""
import os
import pwd
import re
import socket
import stat
import subprocess
import sys
import time

import pytest

from roost import BIN, Roost, wait_for

MSG = (b"From: a@example.org\r\nTo: root@localhost\r\n"
       b"Message-ID: <%s@example.org>\r\nSubject: lmtp %s\r\n\r\n"
       b"line one\r\n..dotted\r\nlast\r\n")


def msg(tag):
    t = tag.encode()
    return MSG % (t, t)


class Lmtp:
    """A raw LMTP client: smtplib.LMTP reads only one reply after DATA."""

    def __init__(self, r):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.settimeout(30)
        self.s.connect(r.path("run", "lmtp"))
        self.f = self.s.makefile("rwb")
        assert self.reply()[0] == 220

    def reply(self):
        lines = []
        while True:
            line = self.f.readline()
            if not line:
                raise EOFError("lmtpd closed the connection")
            lines.append(line.decode().rstrip("\r\n"))
            if line[3:4] != b"-":
                return int(lines[0][:3]), "\n".join(l[4:] for l in lines)

    def send(self, data):
        self.f.write(data)
        self.f.flush()

    def cmd(self, line):
        self.send(line.encode() + b"\r\n")
        return self.reply()

    def lhlo(self):
        return self.cmd("LHLO client.example")

    def close(self):
        self.f.close()
        self.s.close()


def transaction(r, rcpts, data, sender="a@example.org", bdat=None):
    """MAIL, RCPTs, then DATA (or BDAT chunks); returns the RCPT replies
    and the per-recipient replies after the data."""
    c = Lmtp(r)
    try:
        assert c.lhlo()[0] == 250
        assert c.cmd("MAIL FROM:<%s>" % sender)[0] == 250
        rr = [c.cmd("RCPT TO:<%s>" % x) for x in rcpts]
        n = sum(1 for code, _ in rr if code == 250)
        if bdat is None:
            assert c.cmd("DATA")[0] == 354
            c.send(data + b".\r\n")
        else:
            for i, chunk in enumerate(bdat):
                last = i == len(bdat) - 1
                c.send(b"BDAT %d%s\r\n" % (len(chunk),
                                          b" LAST" if last else b"") + chunk)
                if not last:
                    assert c.reply()[0] == 250
        after = [c.reply() for _ in range(n)]
        assert c.cmd("QUIT")[0] == 221
        return rr, after
    finally:
        c.close()


def roostctl(r, *args):
    """roostctl's standard output as bytes (fetch must keep CRLF)."""
    p = subprocess.run([os.path.join(BIN, "roostctl"), "-d", r.dir, *args],
                       capture_output=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    return p.stdout


def inbox(r, user):
    """Every message in user's INBOX in UID order, through the store's
    own reader (roostctl mailbox show and fetch)."""
    out = []
    for line in roostctl(r, "mailbox", "show", user, "INBOX").splitlines():
        uid = line.split(b"\t")[0]
        if uid.isdigit():
            out.append(roostctl(r, "mailbox", "fetch", user, "INBOX",
                                uid.decode()))
    return out


def msg_files(r, user):
    """The message files of user (for inode checks only)."""
    d = r.path("store", "u", user, "msg")
    return sorted(os.path.join(d, f) for f in os.listdir(d))


@pytest.fixture(scope="module")
def inst():
    """An instance with the virtual users alice, bob and carol (carol
    with a 1 KiB quota) besides the system accounts."""
    r = Roost()
    try:
        r.start()
        for u in ("alice", "bob", "carol"):
            r.ctl("user", "add", u + "@example.test")
        r.ctl("user", "quota", "carol@example.test", "1k")
        yield r
    finally:
        r.finish()


def test_lhlo_capabilities_and_socket_mode(inst):
    c = Lmtp(inst)
    try:
        code, text = c.lhlo()
        assert code == 250
        caps = text.split("\n")[1:]
        for cap in ("PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES",
                    "CHUNKING"):
            assert cap in caps
        assert "SIZE 26214400" in caps
        assert c.cmd("EHLO x")[0] == 500
        assert c.cmd("HELO x")[0] == 500
        assert c.cmd("VRFY root")[0] == 252
        assert c.cmd("NOOP")[0] == 250
        assert c.cmd("DATA")[:1] == (503,)
        assert c.cmd("RCPT TO:<root@localhost>")[0] == 503
        assert c.cmd("MAIL FROM:<a@b> SIZE=999999999")[0] == 552
        assert c.cmd("MAIL FROM:<a@b> BODY=8BITMIME")[0] == 250
        assert c.cmd("MAIL FROM:<a@b>")[0] == 503
        assert c.cmd("RSET")[0] == 250
        assert c.cmd("X" * 2000)[0] == 500
        assert c.cmd("QUIT")[0] == 221
    finally:
        c.close()
    mode = stat.S_IMODE(os.stat(inst.path("run", "lmtp")).st_mode)
    assert mode == 0o666


PEER = r"""
import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(10); s.connect(sys.argv[1])
sys.stdout.write(s.makefile("rb").readline().decode())
"""


def lmtp_greeting_as(path, user):
    """The first line lmtpd sends a process of account user."""
    pw = pwd.getpwnam(user)

    def drop():
        os.setgroups([])
        os.setgid(pw.pw_gid)
        os.setuid(pw.pw_uid)
    out = subprocess.run([sys.executable, "-c", PEER, path],
                         preexec_fn=drop, capture_output=True, text=True,
                         timeout=30)
    assert out.returncode == 0, out.stderr
    return out.stdout


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to become nobody")
def test_only_qmgr_and_allowed_accounts_may_deliver(fresh):
    """The socket is 0666, but a local user's process gets 421 unless
    lmtpd_allow_users names its account."""
    fresh.start()
    path = fresh.path("run", "lmtp")
    assert lmtp_greeting_as(path, "nobody").startswith("421 4.7.0")
    assert wait_for(lambda: "may not deliver" in fresh.log("lmtpd"), 10)
    with open(fresh.conf, "a") as f:
        f.write("lmtpd_allow_users = daemon nobody\n")
    fresh.ctl("restart", "lmtpd")
    assert lmtp_greeting_as(path, "nobody").startswith("220 ")


def test_multi_recipient_one_reply_each_and_hard_links(inst):
    rr, after = transaction(inst, ["alice@example.test",
                                   "nosuch@example.test", "root@localhost",
                                   "nosuch@localhost", "bob@example.test"],
                            msg("multi"))
    assert [x[0] for x in rr] == [250, 550, 250, 550, 250]
    assert rr[1] == (550, "5.1.1 <nosuch@example.test> User unknown")
    assert rr[3] == (550, "5.1.1 <nosuch@localhost> User unknown")
    # one reply per accepted recipient, in RCPT order (RFC 2033 4.2)
    assert [a[0] for a in after] == [250, 250, 250]
    for reply, who in zip(after, ["alice@example.test", "root@localhost",
                                  "bob@example.test"]):
        assert re.match(r"2\.0\.0 <%s> saved as UID \d+$" % re.escape(who),
                        reply[1])
    for user in ("alice@example.test", "root", "bob@example.test"):
        got = [m for m in inbox(inst, user) if b"lmtp multi" in m]
        # Return-Path first, then the message, dot-unstuffed, CRLF
        assert got == [b"Return-Path: <a@example.org>\r\n" +
                       msg("multi").replace(b"..dotted", b".dotted")]
    # stored once: one inode in the three users' msg directories
    files = [f for u in ("alice@example.test", "root", "bob@example.test")
             for f in msg_files(inst, u)
             if b"lmtp multi" in open(f, "rb").read()]
    assert len(files) == 3
    assert len({os.stat(f).st_ino for f in files}) == 1
    assert os.stat(files[0]).st_nlink == 3      # the spool file is gone
    wait_for(lambda: re.search(
        r"delivery from=<a@example.org> to=<bob@example.test> "
        r"user=bob@example.test uid=\d+ size=\d+ status=sent dsn=2.0.0 "
        r"msgid=<multi@example.org>", inst.log("lmtpd")), 10)


def test_pipelined_transaction(inst):
    c = Lmtp(inst)
    try:
        c.send(b"LHLO x\r\nMAIL FROM:<>\r\nRCPT TO:<bin@localhost>\r\n"
               b"RCPT TO:<nope@localhost>\r\nRCPT TO:<sys@localhost>\r\n"
               b"DATA\r\n")
        codes = [c.reply()[0] for _ in range(6)]
        assert codes == [250, 250, 250, 550, 250, 354]
        c.send(msg("pipelined") + b".\r\nQUIT\r\n")
        assert [c.reply()[0] for _ in range(3)] == [250, 250, 221]
    finally:
        c.close()
    got = [m for m in inbox(inst, "bin") if b"lmtp pipelined" in m]
    assert got and got[0].startswith(b"Return-Path: <>\r\n")


def test_bdat(inst):
    data = msg("bdat")
    rr, after = transaction(inst, ["root@localhost", "daemon@localhost"],
                            None, bdat=[data[:50], data[50:]])
    assert [a[0] for a in after] == [250, 250]
    got = [m for m in inbox(inst, "root") if b"lmtp bdat" in m]
    # BDAT is taken as is: no dot-unstuffing
    assert got == [b"Return-Path: <a@example.org>\r\n" + data]
    # an empty chunk may end the data too (RFC 3030 2)
    rr, after = transaction(inst, ["alice@example.test"], None,
                            bdat=[msg("bdat0"), b""])
    assert after[0][0] == 250


def test_detail_goes_to_inbox(inst):
    rr, after = transaction(inst, ["sys+folder@localhost"], msg("detail"))
    assert rr[0][0] == 250 and after[0][0] == 250
    assert [m for m in inbox(inst, "sys") if b"lmtp detail" in m]
    wait_for(lambda: "to=<sys+folder@localhost> user=sys detail=folder" in
             inst.log("lmtpd"), 10)


def test_duplicate_suppression(inst):
    for _ in range(2):
        rr, after = transaction(inst, ["daemon@localhost"], msg("dup"))
        assert after[0][0] == 250
    assert after[0][1] == "2.0.0 <daemon@localhost> duplicate, discarded"
    assert len([m for m in inbox(inst, "daemon") if b"lmtp dup" in m]) == 1
    # the same ID written differently is the same message
    other = msg("dup").replace(b"<dup@example.org>", b"< dup@example.org >")
    rr, after = transaction(inst, ["daemon@localhost"], other)
    assert "duplicate" in after[0][1]
    # a different Message-ID is another message
    rr, after = transaction(inst, ["daemon@localhost"], msg("dup2"))
    assert "saved as UID" in after[0][1]
    # without a Message-ID there is no suppression
    nomid = b"Subject: lmtp nomid\r\n\r\nx\r\n"
    for _ in range(2):
        transaction(inst, ["daemon@localhost"], nomid)
    assert len([m for m in inbox(inst, "daemon")
                if b"lmtp nomid" in m]) == 2
    wait_for(lambda: "status=duplicate" in inst.log("lmtpd"), 10)


def test_a_forged_message_id_cannot_drop_the_real_message(inst):
    """The key is the Message-ID with From and Date: a forgery sent
    first with the ID the real post will have is stored, and so is the
    real post; the same post through two lists (a subject tag and a
    footer added) is stored once."""
    real = (b"From: Alice <alice@example.org>\r\n"
            b"Date: Mon, 07 Dec 2026 10:00:00 +0000\r\n"
            b"Message-ID: <predictable@example.org>\r\n"
            b"Subject: the real post\r\n\r\nhello\r\n")
    forged = (b"From: Mallory <m@evil.example>\r\n"
              b"Date: Mon, 07 Dec 2026 09:00:00 +0000\r\n"
              b"Message-ID: <predictable@example.org>\r\n"
              b"Subject: forged\r\n\r\nhi\r\n")
    for data in (forged, real):
        rr, after = transaction(inst, ["daemon@localhost"], data)
        assert "saved as UID" in after[0][1], after
    listed = real.replace(b"Subject: the real post",
                          b"Subject: [list-a] the real post") + \
        b"-- \r\nlist-a footer\r\n"
    rr, after = transaction(inst, ["daemon@localhost"], listed)
    assert "duplicate" in after[0][1], after
    box = inbox(inst, "daemon")
    assert len([m for m in box if b"Subject: forged" in m]) == 1
    assert len([m for m in box if b"the real post" in m]) == 1


def test_quota_is_temporary_within_grace(inst):
    big = msg("big") + b"x" * 2000 + b"\r\n"
    rr, after = transaction(inst, ["carol@example.test",
                                   "alice@example.test"], big)
    assert after[0] == (452, "4.2.2 <carol@example.test> Mailbox full")
    assert after[1][0] == 250           # the others are not held up
    assert not [m for m in inbox(inst, "carol@example.test")
                if b"lmtp big" in m]
    # a refused message is not remembered as delivered: the same
    # Message-ID in a message that fits is stored
    rr, after = transaction(inst, ["carol@example.test"], msg("big"))
    assert "saved as UID" in after[0][1]
    assert len(inbox(inst, "carol@example.test")) == 1


def test_quota_without_grace_is_permanent(fresh):
    fresh.start()
    with open(fresh.conf, "a") as f:
        f.write("quota_default = 1k\nquota_grace = 0\n")
    fresh.ctl("restart", "lmtpd")
    big = msg("big") + b"x" * 2000 + b"\r\n"
    rr, after = transaction(fresh, ["root@localhost", "daemon@localhost"],
                            big)
    assert [a[0] for a in after] == [552, 552]
    assert after[0][1] == "5.2.2 <root@localhost> Mailbox full"
    wait_for(lambda: "status=bounced dsn=5.2.2" in fresh.log("lmtpd"), 10)


def test_recreated_user_gets_the_new_store(fresh):
    """A worker keeps stores open between deliveries: a user deleted and
    added again must get mail in the new store, not the unlinked one."""
    fresh.start()
    with open(fresh.conf, "a") as f:
        f.write("lmtpd_process_limit = 1\nlmtpd_process_min = 1\n")
    fresh.ctl("restart", "lmtpd")
    fresh.ctl("user", "add", "dora@example.test")
    pids = set()
    for tag in ("before", "after"):
        if tag == "after":
            fresh.ctl("user", "del", "dora@example.test")
            fresh.ctl("user", "add", "dora@example.test")
        rr, after = transaction(fresh, ["dora@example.test"], msg(tag))
        assert [a[0] for a in after] == [250]
        pids.add(fresh.status()["lmtpd"])
    box = inbox(fresh, "dora@example.test")
    assert len(box) == 1 and b"lmtp after" in box[0]
    assert len(pids) == 1


def test_limits_on_a_small_instance(fresh):
    fresh.start()
    with open(fresh.conf, "a") as f:
        f.write("message_size_limit = 2k\nlmtpd_timeout = 2s\n")
    fresh.ctl("restart", "lmtpd")
    rr, after = transaction(fresh, ["root@localhost", "bin@localhost"],
                            msg("huge") + b"y" * 3000 + b"\r\n")
    assert [a[0] for a in after] == [552, 552]
    rr, after = transaction(fresh, ["root@localhost"], None,
                            bdat=[msg("huge2"), b"z" * 3000])
    assert after[0][0] == 552
    assert not [m for m in inbox(fresh, "root") if b"lmtp huge" in m]
    # an idle client is told and dropped
    c = Lmtp(fresh)
    try:
        t0 = time.monotonic()
        assert c.reply()[0] == 421
        assert c.f.readline() == b""
        assert time.monotonic() - t0 < 10
    finally:
        c.close()
    # nothing is left in the spool
    assert os.listdir(fresh.path("store", "tmp")) == []


def test_hostile_input(inst):
    before = len(inbox(inst, "alice@example.test"))
    c = Lmtp(inst)
    try:
        assert c.lhlo()[0] == 250
        c.send(b"NOOP\0x\r\n")
        assert c.reply()[0] == 500
        # BDAT without a transaction: the chunk is read, then refused,
        # and the session stays in step
        c.send(b"BDAT 12\r\nNOOP\r\nNOOP\r\n")
        assert c.reply()[0] == 503
        assert c.cmd("NOOP")[0] == 250
        assert c.cmd("BDAT 99999999999999999999999")[0] >= 500
        assert c.cmd("MAIL FROM:<a@b> SIZE=x")[0] >= 500
        assert c.cmd("MAIL FROM:a@b")[0] >= 500
        assert c.cmd("MAIL FROM:<a@b>")[0] == 250
        assert c.cmd("RCPT TO:<>")[0] >= 500
        assert c.cmd("RCPT TO:<alice@example.test> NOTIFY=bogus")[0] >= 500
        assert c.cmd("RCPT TO:<alice@example.test>")[0] == 250
        # a lone LF . LF does not end the data (no smuggling)
        assert c.cmd("DATA")[0] == 354
        c.send(b"Subject: lmtp smuggle\r\n\r\na\n.\nMAIL FROM:<x@y>\r\n"
               b".\r\n")
        assert c.reply()[0] == 250
        assert c.cmd("QUIT")[0] == 221
    finally:
        c.close()
    got = [m for m in inbox(inst, "alice@example.test")
           if b"lmtp smuggle" in m]
    assert len(got) == 1 and b"MAIL FROM:<x@y>" in got[0]
    # a client that goes away in the middle of the data delivers nothing
    c = Lmtp(inst)
    try:
        c.lhlo()
        c.cmd("MAIL FROM:<a@b>")
        c.cmd("RCPT TO:<alice@example.test>")
        assert c.cmd("DATA")[0] == 354
        c.send(b"Subject: lmtp cut\r\n\r\nhalf a mess")
    finally:
        c.close()
    # at most 1000 recipients per transaction
    c = Lmtp(inst)
    try:
        c.lhlo()
        c.send(b"MAIL FROM:<a@b>\r\n" +
               b"RCPT TO:<alice@example.test>\r\n" * 1001 + b"RSET\r\n")
        codes = [c.reply()[0] for _ in range(1003)]
        assert codes[:1001] == [250] * 1001
        assert codes[1001:] == [452, 250]
    finally:
        c.close()
    # too many errors end the session
    c = Lmtp(inst)
    try:
        c.send(b"BOGUS\r\n" * 25)
        codes = []
        while True:
            try:
                codes.append(c.reply()[0])
            except EOFError:
                break
        assert codes[-1] == 421 and len(codes) == 21
    finally:
        c.close()
    wait_for(lambda: "lost connection during data" in inst.log("lmtpd"), 10)
    after = inbox(inst, "alice@example.test")
    assert len(after) == before + 1
    assert not [m for m in after if b"lmtp cut" in m]
    wait_for(lambda: os.listdir(inst.path("store", "tmp")) == [], 10)


def test_trickled_input_is_stored_the_same(inst):
    """The session read one byte at a time gives the same result as in
    one block (the decoder never depends on how input is split)."""
    data = msg("trickle")
    c = Lmtp(inst)
    try:
        script = (b"LHLO x\r\nMAIL FROM:<t@example.org>\r\n"
                  b"RCPT TO:<bob@example.test>\r\nDATA\r\n" + data +
                  b".\r\nMAIL FROM:<t@example.org>\r\n"
                  b"RCPT TO:<bob@example.test>\r\n" +
                  b"BDAT %d LAST\r\n" % len(msg("trickle2")) +
                  msg("trickle2") + b"QUIT\r\n")
        for i in range(len(script)):
            c.s.sendall(script[i:i + 1])
        codes = []
        while True:
            try:
                codes.append(c.reply()[0])
            except EOFError:
                break
        assert codes == [250, 250, 250, 354, 250, 250, 250, 250, 221]
    finally:
        c.close()
    got = inbox(inst, "bob@example.test")
    assert b"Return-Path: <t@example.org>\r\n" + \
        data.replace(b"..dotted", b".dotted") in got
    assert b"Return-Path: <t@example.org>\r\n" + msg("trickle2") in got
