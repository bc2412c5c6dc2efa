"""qmgr delivers: SMTP in, through cleanup and qmgr, into mailboxes over
LMTP and into commands and files through pipe(8); aliases, :include:,
virtual domains with catch-all; remote recipients and forwards wait in
deferred/ and are never bounced for it.

The helpers here are shared by test_retry.py and test_crash_delivery.py.
"""
import email
import os
import re
import smtplib
import subprocess
import time
import uuid

import pytest

import queuefile
from roost import BIN, Roost, wait_for


# -- helpers -----------------------------------------------------------------
def add_user(r, name, password="secret"):
    subprocess.run([os.path.join(BIN, "roostctl"), "-d", r.dir, "user",
                    "add", name, "--password-stdin"], input=password + "\n",
                   text=True, check=True, capture_output=True, timeout=60)


def newaliases(r):
    subprocess.run([os.path.join(BIN, "newaliases")], check=True,
                   capture_output=True, timeout=60,
                   env=dict(os.environ, ROOST_CONF=r.conf))


def set_conf(r, text, *services):
    with open(r.conf, "a") as f:
        f.write(text)
    for s in services:
        r.ctl("restart", s)


def mailbox(r, user, box="INBOX"):
    """The messages in user's mailbox, as bytes: what the index lists
    (roostctl mailbox show: UID, flags, size, date, modseq, file), read
    from the message files.  A file the index does not list (a crashed
    delivery's) is not in the mailbox."""
    res = r.ctl("mailbox", "show", user, box, check=False)
    if res.returncode != 0:
        return []
    out = []
    for line in res.stdout.splitlines():
        name = line.split("\t")[-1]
        with open(r.path("store", "u", user, "msg", name), "rb") as fh:
            out.append(fh.read())
    return out


def marked(r, user, marker):
    """Messages of user carrying the header X-Test: marker."""
    key = b"X-Test: " + marker.encode()
    return [m for m in mailbox(r, user) if key in m]


def send(r, sender, rcpts, marker=None, subject="test", extra=b"",
         rcpt_options=()):
    """Send one message over SMTP; returns its marker."""
    marker = marker or uuid.uuid4().hex
    body = (b"From: <%s>\r\nSubject: %s\r\nX-Test: %s\r\n%s\r\n"
            b"line one\r\n.leading dot\r\n" % (
                sender.encode(), subject.encode(), marker.encode(),
                extra))
    with smtplib.SMTP("127.0.0.1", r.port("smtp"), timeout=30) as s:
        s.ehlo("test.example")
        refused = s.sendmail(sender, rcpts, body,
                             rcpt_options=list(rcpt_options))
        assert refused == {}
    return marker


def queue_entries(r, state):
    d = r.path("queue", state)
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def queue_empty(r):
    return not any(queue_entries(r, s) for s in
                   ("incoming", "active", "deferred"))


def status_records(r, qid):
    """The status file of qid as a list of {name: value} dicts."""
    return queuefile.status(r.path("queue", "status", qid))


# -- tests -------------------------------------------------------------------
@pytest.fixture(scope="module")
def inst():
    if os.geteuid() != 0:
        pytest.skip("pipe's account switching needs root")
    r = Roost()
    try:
        r.start()
        for u in ("alice", "bob", "carol", "dave", "erin@example.test",
                  "frank@example.test"):
            add_user(r, u)
        r.ctl("domain", "add", "example.test")
        box = r.path("box")
        os.mkdir(box)
        os.chmod(box, 0o1777)
        os.chmod(r.dir, 0o711)
        with open(r.path("etc", "list.txt"), "w") as f:
            f.write("carol\ndave@localhost\n")
        with open(r.path("etc", "aliases"), "w") as f:
            f.write("team: alice, bob\n"
                    "nested: team, carol\n"
                    "exploder: :include:%s\n"
                    "piper: \"|cat > %s/piped\"\n"
                    "filer: %s/mbox\n"
                    "filer2: %s/mbox\n"
                    "stale: bob, nosuchuser\n"
                    "away: someone@remote.example\n"
                    "mixed: alice, far@remote.example\n"
                    % (r.path("etc", "list.txt"), box, box, box))
        with open(r.path("etc", "virtual"), "w") as f:
            # as in Postfix, a catch-all also catches the domain's
            # real users unless they are listed (an alias to itself)
            f.write("sales@example.test erin@example.test, bob\n"
                    "erin@example.test erin@example.test\n"
                    "@example.test frank@example.test\n")
        newaliases(r)
        yield r
    finally:
        r.finish()


def test_one_recipient(inst):
    m = send(inst, "alice@localhost", ["bob@localhost"])
    wait_for(lambda: marked(inst, "bob", m), 20)
    msg = email.message_from_bytes(marked(inst, "bob", m)[0])
    assert msg["Return-Path"] == "<alice@localhost>"
    # dot-stuffed on the wire, unstuffed on the far side
    assert re.search(rb"\nline one\r?\n\.leading dot\r?\n$",
                     marked(inst, "bob", m)[0])
    wait_for(lambda: queue_empty(inst), 20)
    assert not os.listdir(inst.path("queue", "status"))
    assert "status=sent" in inst.log("qmgr")


def test_several_recipients_one_copy_each(inst):
    m = send(inst, "alice@localhost",
             ["bob@localhost", "carol@localhost", "dave@localhost",
              "BOB+extra@localhost"])
    wait_for(lambda: all(marked(inst, u, m) for u in
                         ("bob", "carol", "dave")), 20)
    wait_for(lambda: queue_empty(inst), 20)
    # bob and bob+extra are two recipients, but lmtpd drops the second
    # copy by Message-ID: at most two, at least one
    assert 1 <= len(marked(inst, "bob", m)) <= 2
    assert len(marked(inst, "carol", m)) == 1


def test_alias_list_and_nesting(inst):
    m = send(inst, "dave@localhost", ["nested@localhost"])
    wait_for(lambda: all(marked(inst, u, m) for u in
                         ("alice", "bob", "carol")), 20)
    wait_for(lambda: queue_empty(inst), 20)
    log = inst.log("qmgr")
    assert "orig_to=<nested@localhost>" in log


def test_unknown_list_member_fails_alone(inst):
    m = send(inst, "carol@localhost", ["stale@localhost"])
    wait_for(lambda: marked(inst, "bob", m), 20)
    # the bounce quotes the original (with its marker) and names the
    # member that failed
    wait_for(lambda: [b for b in marked(inst, "carol", m)
                      if b"nosuchuser" in b and b"5.1.1" in b], 20)
    wait_for(lambda: queue_empty(inst), 20)


def test_include_file(inst):
    m = send(inst, "alice@localhost", ["exploder@localhost"])
    wait_for(lambda: marked(inst, "carol", m) and marked(inst, "dave", m),
             20)


def test_pipe_command_and_file(inst):
    m1 = send(inst, "alice@localhost", ["piper@localhost"])
    m2 = send(inst, "alice@localhost", ["filer@localhost"])
    piped = os.path.join(inst.path("box"), "piped")
    mbox = os.path.join(inst.path("box"), "mbox")
    wait_for(lambda: os.path.exists(piped) and
             m1.encode() in open(piped, "rb").read(), 20)
    wait_for(lambda: os.path.exists(mbox) and
             m2.encode() in open(mbox, "rb").read(), 20)
    assert open(mbox, "rb").read().startswith(b"From alice@localhost ")
    wait_for(lambda: queue_empty(inst), 20)


def test_one_file_reached_twice_gets_one_copy(inst):
    m = send(inst, "alice@localhost", ["filer@localhost",
                                       "filer2@localhost"])
    mbox = os.path.join(inst.path("box"), "mbox")
    wait_for(lambda: os.path.exists(mbox) and
             m.encode() in open(mbox, "rb").read(), 20)
    wait_for(lambda: queue_empty(inst), 20)
    assert open(mbox, "rb").read().count(m.encode()) == 1


def test_virtual_alias_and_catchall(inst):
    m = send(inst, "alice@localhost", ["sales@example.test"])
    wait_for(lambda: marked(inst, "erin@example.test", m) and
             marked(inst, "bob", m), 20)
    m2 = send(inst, "alice@localhost", ["whoever@example.test"])
    wait_for(lambda: marked(inst, "frank@example.test", m2), 20)
    m3 = send(inst, "alice@localhost", ["erin+tag@example.test"])
    wait_for(lambda: marked(inst, "erin@example.test", m3), 20)


def waiting_entry(inst, marker):
    for qid in queue_entries(inst, "deferred"):
        e = queuefile.read(inst.path("queue", "deferred", qid))
        if marker.encode() in e["content"]:
            return qid
    return None


def test_remote_and_forward_wait(inst):
    m = send(inst, "alice@localhost", ["x@remote.example", "away@localhost",
                                       "mixed@localhost"])
    wait_for(lambda: marked(inst, "alice", m), 20)
    qid = wait_for_value(lambda: waiting_entry(inst, m), 20)
    wait_for(lambda: sum(1 for rec in status_records(inst, qid)
                         if rec.get("status") == "waiting") >= 3, 20)
    # a flush and a deferred scan leave it waiting, and nobody bounces
    inst.ctl("queue", "flush", check=False)
    time.sleep(2)
    assert waiting_entry(inst, m) == qid
    assert not [x for x in mailbox(inst, "alice")
                if b"Undelivered Mail" in x and m.encode() in x]
    assert len(marked(inst, "alice", m)) == 1


def wait_for_value(fn, timeout):
    box = []
    wait_for(lambda: box.append(fn()) or box[-1], timeout)
    return box[-1]


def test_mail_queued_while_qmgr_is_down(inst):
    """Entries committed while qmgr was down are picked up at start."""
    inst.service("qmgr", False)
    try:
        m = send(inst, "alice@localhost", ["carol@localhost"])
        time.sleep(0.5)
        assert queue_entries(inst, "incoming")
        assert not marked(inst, "carol", m)
    finally:
        inst.service("qmgr", True)
    wait_for(lambda: marked(inst, "carol", m), 20)
    wait_for(lambda: not queue_entries(inst, "incoming"), 20)


def test_held_entry_is_never_touched(inst):
    m = send(inst, "alice@localhost", ["held@remote.example"])
    qid = wait_for_value(lambda: waiting_entry(inst, m), 20)
    inst.ctl("queue", "hold", qid)
    assert queue_entries(inst, "hold") == [qid]
    inst.ctl("queue", "flush", check=False)
    time.sleep(1.5)
    assert queue_entries(inst, "hold") == [qid]
    assert qid not in queue_entries(inst, "deferred")
    inst.ctl("queue", "release", qid)
    wait_for(lambda: waiting_entry(inst, m) == qid, 20)


def test_corrupt_entry_goes_to_corrupt(inst):
    """An entry without its end record is never delivered."""
    qid = "0000000004abcdef"
    with open(inst.path("queue", "incoming", qid), "wb") as f:
        f.write(b"V\x0droost-queue 1T\x011S\x00P\x00R\x0dbob@localhost"
                b"M\x00D\x06hello\n")      # no E record
    os.chown(inst.path("queue", "incoming", qid),
             *[os.stat(inst.path("queue")).st_uid,
               os.stat(inst.path("queue")).st_gid])
    m = send(inst, "alice@localhost", ["bob@localhost"])   # a trigger
    wait_for(lambda: marked(inst, "bob", m), 20)
    wait_for(lambda: qid in queue_entries(inst, "corrupt"), 20)
    assert "%s: corrupt queue file" % qid in inst.log("qmgr")
    assert not [x for x in mailbox(inst, "bob") if b"\nhello" in x]
