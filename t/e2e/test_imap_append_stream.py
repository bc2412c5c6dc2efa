"""imapd APPEND of big messages: past 64 KiB a literal goes to a spool
file as it is read (imapd_append.c), so a session's memory does not
grow with the message.  Each way of sending one (synchronizing literal,
LITERAL+, literal8, the UTF8 item, MULTIAPPEND) is checked for the peak
RSS of the imapd process serving the session and for the message read
back; then the ways a big APPEND can go wrong, and that no spool file
is left behind by any of them.
"""
import os
import random
import re

import pytest

from roost import children, wait_for
# the fixtures too: inst (the module's instance), user (a new one), c
# (a raw client logged in as user)
from test_imap_mailboxes import (PASSWORD, Imap, Lit, c, inst,  # noqa: F401
                                 show, status, user)

MB = 1 << 20
# The peak RSS an APPEND may add, whatever the message's size: the
# reader's and the spool's buffers are some 100 KiB; the rest is slack
# for the allocator and the LMDB pages a delivery touches.  The sanitizer
# build measures the same (its quarantine holds only those buffers).
GROWTH_MAX_KB = 8 * 1024


# -- helpers -----------------------------------------------------------------
def big_message(size, seed, nul=False):
    """A message of about size octets: CRLF lines of random octets (no
    CR or LF inside, so it is stored as sent; NUL only when nul)."""
    rnd = random.Random(seed).randbytes(size)
    body = rnd.translate(bytes.maketrans(b"\r\n\0", b"xyz") if not nul
                         else bytes.maketrans(b"\r\n", b"xy"))
    lines = [body[i:i + 998] for i in range(0, len(body), 998)]
    return (b"From: <a@example.test>\r\nSubject: big %d\r\n\r\n" % seed +
            b"\r\n".join(lines) + b"\r\n")


def spool_files(inst):
    try:
        return os.listdir(inst.path("store", "tmp"))
    except FileNotFoundError:
        return []


def serving(inst, cl):
    """The pid of the imapd worker that holds cl's connection: the
    socket's inode from /proc/net/tcp, then the worker with it open."""
    mine = cl.sock.getsockname()[1]
    inode = None
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            local, remote = fields[1], fields[2]
            if int(local.split(":")[1], 16) == inst.port("imap") and \
                    int(remote.split(":")[1], 16) == mine:
                inode = fields[9]
    assert inode, "no server side of port %d" % mine
    want = "socket:[%s]" % inode
    for pid in children(inst.status()["imapd"]):
        try:
            fds = os.listdir("/proc/%d/fd" % pid)
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink("/proc/%d/fd/%s" % (pid, fd)) == want:
                    return pid
            except OSError:
                pass
    raise AssertionError("no imapd worker holds %s" % want)


def vm(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise AssertionError("no %s for %d" % (key, pid))


class Peak:
    """The growth of a process's peak RSS over a with block, in kB: the
    peak is reset to the current RSS first (clear_refs 5)."""

    def __init__(self, pid):
        self.pid = pid

    def __enter__(self):
        with open("/proc/%d/clear_refs" % self.pid, "w") as f:
            f.write("5")
        self.base = vm(self.pid, "VmHWM")
        assert self.base <= vm(self.pid, "VmRSS") + 1024, "peak not reset"
        return self

    def __exit__(self, *exc):
        self.growth = vm(self.pid, "VmHWM") - self.base


def fetch_body(cl, box, uid):
    """BODY[] of the message with uid in box, as sent."""
    cl.ok('EXAMINE "%s"' % box)
    cl.n += 1
    tag = b"t%d" % cl.n
    cl.sock.sendall(tag + b" UID FETCH %d BODY.PEEK[]\r\n" % uid)
    body = None
    while True:
        resp = cl.line()
        if resp.startswith(tag + b" "):
            assert resp.startswith(tag + b" OK"), resp[:200]
            return body
        m = re.search(rb"BODY\[\] ~?\{(\d+)\}\r\n", resp)
        if m:
            body = resp[m.end():m.end() + int(m.group(1))]


def appended_uids(tagged):
    m = re.search(r"APPENDUID \d+ ([0-9:,]+)\]", tagged)
    assert m, tagged
    lo, _, hi = m.group(1).partition(":")
    return list(range(int(lo), int(hi or lo) + 1))


def nothing_left(inst):
    """No spool file once the session has dropped them."""
    wait_for(lambda: spool_files(inst) == [], 10)


# -- memory stays bounded, the message arrives whole ---------------------------
@pytest.mark.parametrize("plus,eight,utf8", [(False, False, False),
                                             (True, False, False),
                                             (False, True, False),
                                             (True, True, True)],
                         ids=["sync", "literal+", "literal8", "utf8"])
def test_big_append_memory_is_bounded(inst, user, c, plus, eight, utf8):
    data = big_message(20 * MB, 1, nul=eight)
    assert eight == (b"\0" in data)
    parts = ["APPEND INBOX", " ", Lit(data, plus=plus, eight=eight)]
    if utf8:    # RFC 6855 4: the UTF8 data item
        c.ok("ENABLE UTF8=ACCEPT")
        parts = ["APPEND INBOX UTF8 (", parts[2], ")"]
    with Peak(serving(inst, c)) as peak:
        tagged, _ = c.send(*parts)
    assert status(tagged) == ("OK", "APPENDUID"), tagged
    assert peak.growth < GROWTH_MAX_KB, \
        "peak RSS grew by %d kB for a %d kB message" % (
            peak.growth, len(data) >> 10)
    uid, = appended_uids(tagged)
    assert fetch_body(c, "INBOX", uid) == data
    nothing_left(inst)


def test_big_multiappend_memory_is_bounded(inst, user, c):
    one, two = big_message(10 * MB, 2), big_message(10 * MB, 3)
    small = b"Subject: small\r\n\r\nsmall\r\n"
    c.ok('CREATE "big"')
    with Peak(serving(inst, c)) as peak:
        tagged, _ = c.send('APPEND "big" (\\Seen) ', Lit(one), " ",
                           Lit(small, plus=True), " ", Lit(two, plus=True))
    assert status(tagged) == ("OK", "APPENDUID"), tagged
    assert peak.growth < GROWTH_MAX_KB, \
        "peak RSS grew by %d kB for 20 MB of messages" % peak.growth
    uids = appended_uids(tagged)
    assert len(uids) == 3
    for uid, data in zip(uids, (one, small, two)):
        assert fetch_body(c, "big", uid) == data
    rows = show(inst, user, "big")
    assert [int(r[2]) for r in rows] == [len(one), len(small), len(two)]
    nothing_left(inst)


# -- what can go wrong ---------------------------------------------------------
def test_disconnect_inside_a_big_literal_leaves_no_spool_file(inst, user):
    for first in (b"", b"{%d+}\r\n" % MB + b"y" * MB):
        cl = Imap(inst.port("imap"))
        cl.ok("LOGIN", ' "%s" "%s"' % (user, PASSWORD))
        cl.sock.sendall(b"t9 APPEND INBOX " + first +
                        (b" " if first else b"") + b"{%d+}\r\n" % (5 * MB) +
                        b"x" * MB)
        # the octets go to disk as they come (the first message's too)
        files = 2 if first else 1
        wait_for(lambda: len(spool_files(inst)) == files, 10)
        cl.close()
        nothing_left(inst)
    assert show(inst, user) == []


def test_nul_in_a_big_plain_literal_is_refused(inst, user, c):
    data = big_message(2 * MB, 5, nul=True)
    for plus in (False, True):
        tagged, _ = c.send("APPEND INBOX", " ", Lit(data, plus=plus))
        assert status(tagged)[0] == "BAD" and "NUL" in tagged, tagged
        c.ok("NOOP")
    # in a MULTIAPPEND after a good big one: nothing is stored
    tagged, _ = c.send("APPEND INBOX ", Lit(big_message(MB, 6)), " ",
                       Lit(data, plus=True))
    assert status(tagged)[0] == "BAD", tagged
    c.ok("NOOP")
    assert show(inst, user) == []
    nothing_left(inst)


def test_big_literal_over_the_limit_is_refused_before_reading(inst, user, c):
    limit = 25 * MB     # message_size_limit's default
    # a synchronizing literal: NO at once, no "+", the session in step
    tagged, _ = c.send(b"APPEND INBOX {%d}" % (limit + 1))
    assert status(tagged) == ("NO", "TOOBIG"), tagged
    c.ok("NOOP")
    # the second of a MULTIAPPEND over what is left: the first, already
    # spooled, is dropped with it
    c.sock.sendall(b"t90 APPEND INBOX {%d+}\r\n" % MB +
                   big_message(MB, 7)[:MB] + b" {%d}\r\n" % (limit - MB + 1))
    line = c.line()
    assert line.startswith(b"t90 NO [TOOBIG]"), line
    c.ok("NOOP")
    assert show(inst, user) == []
    nothing_left(inst)


def test_big_multiappend_over_quota_stores_nothing(inst, user, c):
    inst.ctl("user", "quota", user, "3m")
    tagged, _ = c.send("APPEND INBOX ", Lit(big_message(2 * MB, 8)), " ",
                       Lit(big_message(2 * MB, 9), plus=True))
    assert status(tagged) == ("NO", "OVERQUOTA"), tagged
    assert show(inst, user) == []
    nothing_left(inst)
    c.ok("APPEND INBOX ", Lit(big_message(2 * MB, 10)))
    assert len(show(inst, user)) == 1
