"""roostctl queue and mailq: listing, showing, holding, releasing,
requeueing, deleting and flushing queue entries (roostctl(8),
roost-queue(5)).

Most tests write entries and status files in the documented formats into
a stopped instance's queue, so what they check does not depend on qmgr's
timing; the last ones drive a running instance through SMTP."""
import os
import re
import shutil
import smtplib
import subprocess
import time

import pytest

import queuefile
from roost import BIN, Roost, wait_for

STATES = ("incoming", "active", "deferred", "hold", "corrupt")
IND = " " * 49
A, B, C, D = ("0000000001abcdef", "0000000002abcdef", "0000000003abcdef",
              "0000000004abcdef")


def leb(n):
    out = b""
    while True:
        byte, n = n & 0x7f, n >> 7
        out += bytes([byte | (0x80 if n else 0)])
        if not n:
            return out


def rec(kind, payload=b""):
    """One record (lib/mail/rec.h): type, LEB128 length, payload."""
    return kind + leb(len(payload)) + payload


def image(sender=b"s@example.org", rcpts=(b"r1@example.org",),
          content=b"Subject: test\nX-Evil: a\x1b[2Jb\n\nbody\n"):
    out = (rec(b"V", b"roost-queue 1") + rec(b"T", b"1764064800000000") +
           rec(b"A", b"client_addr=127.0.0.1") + rec(b"S", sender) +
           rec(b"P", b"BODY=8BITMIME"))
    for r in rcpts:
        out += rec(b"R", r)
    return out + rec(b"M") + rec(b"D", content) + rec(b"E")


def as_queue_owner(r, path):
    """Give what the test wrote to the queue's owner, as if cleanup or
    qmgr had written it (roostctl acts as that account)."""
    st = os.stat(r.path("queue"))
    os.chown(path, st.st_uid, st.st_gid)


def put(r, state, qid, data=None, **kw):
    path = r.path("queue", state, qid)
    with open(path, "wb") as f:
        f.write(image(**kw) if data is None else data)
    as_queue_owner(r, path)
    return path


def status(r, qid, *records):
    """Append status records (lib/mail/qstatus.h), each a dict."""
    with open(r.path("queue", "status", qid), "ab") as f:
        for attrs in records:
            text = "".join("%s=%s\n" % (k, str(v).replace("%", "%25")
                                        .replace("\n", "%0A"))
                           for k, v in attrs.items())
            f.write(rec(b"Q", text.encode()))
    as_queue_owner(r, r.path("queue", "status", qid))


def status_records(r, qid):
    """The status file of qid as a list of {name: value} dicts."""
    return queuefile.status(r.path("queue", "status", qid))


def where(r, qid):
    return [s for s in STATES if os.path.exists(r.path("queue", s, qid))]


def q(r, *args, env=None):
    cmd = [os.path.join(BIN, "roostctl"), "-d", r.dir, "queue", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL,
                          env=dict(os.environ, **(env or {})))


def mailq(r):
    return subprocess.run([os.path.join(BIN, "mailq"), "-C", r.conf],
                          capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, TZ="UTC"))


@pytest.fixture(scope="module")
def layout():
    """An instance whose layout exists but whose daemons are stopped:
    nothing but the tests moves queue entries."""
    r = Roost()
    try:
        r.start()
        r.stop()
        yield r
    finally:
        r.finish()


def big_image(content):
    """An entry whose content spans many D records (64 KiB each)."""
    out = (rec(b"V", b"roost-queue 1") + rec(b"T", b"1764064800000000") +
           rec(b"S", b"s@example.org") + rec(b"P") +
           rec(b"R", b"r@example.org") + rec(b"M"))
    for i in range(0, len(content), 65536):
        out += rec(b"D", content[i:i + 65536])
    return out + rec(b"E")


@pytest.fixture
def stopped(layout):
    """The stopped instance with an empty queue."""
    for s in STATES + ("status",):
        d = layout.path("queue", s)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        as_queue_owner(layout, d)
    return layout


def test_empty_queue(stopped):
    p = q(stopped)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "Mail queue is empty\n"
    assert q(stopped, "list").stdout == p.stdout


def test_list_shape_and_mailq_agree(stopped):
    r = stopped
    put(r, "deferred", B, sender=b"",
        rcpts=(b"done@example.org NOTIFY=NEVER", b"late@example.org",
               b"new@example.org"))
    status(r, B, {"rcpt": 0, "status": "sent", "tries": 1},
           {"rcpt": 1, "status": "deferred", "tries": 2,
            "text": "451 4.4.1 connection refused", "next": 1})
    put(r, "hold", A)
    put(r, "active", C)
    put(r, "corrupt", D, data=b"V\x0droost-queue 1")
    with open(r.path("queue", "incoming", "not-an-id"), "w") as f:
        f.write("junk")
    p = q(r, env={"TZ": "UTC"})
    assert p.returncode == 0, p.stderr
    size = len(b"Subject: test\nX-Evil: a\x1b[2Jb\n\nbody\n")
    assert p.stdout == (
        "-Queue ID-        --Size-- ----Arrival Time---- "
        "-Sender/Recipient-------\n"
        "%s!%9d Tue Nov 25 10:00:00   s@example.org\n" % (A, size) +
        IND + "r1@example.org\n\n"
        "%s %9d Tue Nov 25 10:00:00   MAILER-DAEMON\n" % (B, size) +
        IND + "(451 4.4.1 connection refused)\n" +
        IND + "late@example.org\n" + IND + "new@example.org\n\n"
        "%s*%9d Tue Nov 25 10:00:00   s@example.org\n" % (C, size) +
        IND + "r1@example.org\n\n"
        "-- 1 corrupt entry kept in %s.\n" % r.path("queue", "corrupt") +
        "-- 1 Kbytes in 3 Requests.\n")
    m = mailq(r)
    assert m.returncode == 0, m.stderr
    assert m.stdout == p.stdout


def test_show(stopped):
    r = stopped
    put(r, "deferred", A, rcpts=(b"sent@example.org", b"later@example.org",
                                 b"remote@far.example", b"new@example.org",
                                 b"gone@example.org"))
    soon = int(time.time() * 1e6) + 3600 * 10**6
    status(r, A, {"rcpt": 0, "status": "sent", "tries": 1, "dsn": "2.0.0",
                  "text": "250 ok"},
           {"rcpt": 1, "status": "deferred", "tries": 3, "dsn": "4.2.2",
            "text": "452 over quota\nsecond line", "next": soon},
           {"rcpt": 2, "status": "waiting"},
           {"rcpt": 4, "status": "bounced", "dsn": "5.1.1",
            "text": "550 no such user", "tries": 1},
           {"warned": 1764064800000000})
    p = q(r, "show", A, env={"TZ": "UTC"})
    assert p.returncode == 0, p.stderr
    out = p.stdout
    for want in ("id: %s" % A, "state: deferred", "sender: s@example.org",
                 "params: BODY=8BITMIME", "attr: client_addr=127.0.0.1",
                 "size: 35", "age: ", "arrival: 2025-11-25 10:00:00",
                 "delay notice: "):
        assert want in out, (want, out)
    blocks = out.split("recipient: ")[1:]
    assert len(blocks) == 5
    assert "status: sent" in blocks[0]
    assert "status: deferred" in blocks[1] and "tries: 3" in blocks[1]
    assert "last error: 4.2.2 452 over quota\\x0asecond line" in blocks[1]
    assert re.search(r"next attempt: \S+ \S+ \S+ \(in 59m \d+s\)",
                     blocks[1]), blocks[1]
    assert "status: waiting" in blocks[2]
    assert "status: pending" in blocks[3] and "tries: 0" in blocks[3]
    assert "status: bounced" in blocks[4]
    assert "550 no such user" in blocks[4]
    hdr = out.split("headers:\n", 1)[1]
    assert hdr == "Subject: test\nX-Evil: a\\x1b[2Jb\n"
    assert "\x1b" not in out


def test_show_unknown_and_corrupt(stopped):
    r = stopped
    p = q(r, "show", A)
    assert p.returncode == 1
    assert "%s: no such queue entry" % A in p.stderr
    put(r, "corrupt", B, data=b"V\x0droost-queue 1")
    p = q(r, "show", B)
    assert p.returncode == 1
    assert "state: corrupt" in p.stdout and "corrupt" in p.stderr


BAD_IDS = ("../../etc/passwd", "0000000001abcdef/../../x",
           "0000000001ABCDEF", "0000000001abcdeI", "0000000001abcde",
           "0000000001abcdeff", "", "ALL/..", "0000000001abcde\n", "-d",
           "x" * 5000)


def test_malformed_ids_refused(stopped):
    r = stopped
    put(r, "deferred", A)
    for bad in BAD_IDS:
        for cmd in ("show", "hold", "release", "requeue", "delete"):
            p = q(r, cmd, bad)
            assert p.returncode == 1, (cmd, bad, p.stdout, p.stderr)
            assert "not a queue ID" in p.stderr
            assert len(p.stderr) < 300
        # Even beside a good one: nothing is touched.
        p = q(r, "delete", A, bad)
        assert p.returncode == 1
        assert where(r, A) == ["deferred"]


def test_usage_errors(stopped):
    for args in (("frobnicate",), ("show",), ("show", A, B), ("hold",),
                 ("delete",), ("flush", "now"), ("list", "extra")):
        p = q(stopped, *args)
        assert p.returncode == 100, (args, p.stdout, p.stderr)
        assert "usage:" in p.stderr


def test_hold_release_requeue(stopped):
    r = stopped
    put(r, "deferred", A, rcpts=(b"a@example.org", b"b@example.org"))
    future = int(time.time() * 1e6) + 3600 * 10**6
    status(r, A, {"rcpt": 0, "status": "deferred", "tries": 1,
                  "next": future},
           {"rcpt": 1, "status": "waiting"})
    put(r, "incoming", B)
    put(r, "active", C)

    p = q(r, "hold", A, B)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "%s: held\n%s: held\n" % (A, B)
    assert where(r, A) == ["hold"] and where(r, B) == ["hold"]
    assert status_records(r, A)[-1] == {"held": "1"}
    assert status_records(r, B) == []       # no status file is created
    assert "!" in q(r).stdout.splitlines()[1]

    p = q(r, "hold", A)
    assert p.returncode == 0 and "already in hold/" in p.stdout

    p = q(r, "hold", C)
    assert p.returncode == 1
    assert "%s: busy (being delivered), try again" % C in p.stderr
    assert where(r, C) == ["active"]

    # Release: back to deferred/, every waiting retry due now; the
    # remote ("waiting") recipient stays waiting.
    p = q(r, "release", A)
    assert p.returncode == 0, p.stderr
    assert "%s: released" % A in p.stdout
    assert where(r, A) == ["deferred"]
    recs = status_records(r, A)
    assert recs[-2] == {"held": "0"}
    assert recs[-1]["rcpt"] == "0" and recs[-1]["status"] == "deferred"
    assert int(recs[-1]["next"]) <= time.time() * 1e6
    assert not [x for x in recs if x.get("rcpt") == "1" and
                x.get("status") == "deferred"]
    # qmgr is down: the move stands, the missed wake-up is only a warning.
    assert "cannot wake the queue manager" in p.stderr

    p = q(r, "release", A)
    assert p.returncode == 0 and "already in deferred/" in p.stdout
    assert "cannot wake" not in p.stderr      # nothing moved: no wake-up
    p = q(r, "release", C)
    assert p.returncode == 1 and "busy" in p.stderr
    put(r, "corrupt", D, data=b"junk")
    p = q(r, "requeue", D)
    assert p.returncode == 1 and "cannot requeue an entry in corrupt/" \
        in p.stderr
    assert where(r, D) == ["corrupt"]

    p = q(r, "requeue", A, B)
    assert p.returncode == 0, p.stderr
    assert where(r, A) == ["incoming"] and where(r, B) == ["incoming"]
    assert not os.listdir(r.path("queue", "hold"))

    p = q(r, "requeue", A)
    assert p.returncode == 0 and "already in incoming/" in p.stdout


def test_all_and_delete(stopped):
    r = stopped
    put(r, "deferred", A)
    put(r, "incoming", B)
    put(r, "active", C)
    put(r, "corrupt", D, data=b"junk")
    status(r, A, {"rcpt": 0, "status": "deferred", "tries": 1})

    p = q(r, "hold", "ALL")
    assert p.returncode == 0, p.stderr
    assert where(r, A) == ["hold"] and where(r, B) == ["hold"]
    assert where(r, C) == ["active"]
    p = q(r, "release", "ALL")
    assert p.returncode == 0, p.stderr
    assert where(r, A) == ["deferred"] and where(r, B) == ["deferred"]

    p = q(r, "delete", A, "0000000009abcdef")
    assert p.returncode == 1
    assert "%s: deleted" % A in p.stdout
    assert "0000000009abcdef: no such queue entry" in p.stderr
    assert where(r, A) == []
    assert not os.path.exists(r.path("queue", "status", A))

    p = q(r, "delete", C)
    assert p.returncode == 1 and "busy" in p.stderr
    p = q(r, "delete", "ALL")
    assert p.returncode == 0, p.stderr
    assert "note: 1 entry being delivered left alone" in p.stdout
    assert where(r, B) == [] and where(r, D) == []
    assert where(r, C) == ["active"]
    p = q(r, "delete", "ALL")
    assert p.returncode == 0 and "nothing to delete" in p.stdout
    assert q(r).stdout.endswith("-- 1 Kbytes in 1 Request.\n")


def test_flush_without_qmgr_fails(stopped):
    p = q(stopped, "flush")
    assert p.returncode == 1
    assert "cannot reach the queue manager" in p.stderr


# -- against a running instance ---------------------------------------------

def send(r, rcpts, sender="sender@example.org"):
    s = smtplib.SMTP("127.0.0.1", r.port("smtp"), timeout=30)
    try:
        s.ehlo("client.example")
        s.mail(sender)
        for x in rcpts:
            s.rcpt(x)
        code, resp = s.data(b"Subject: queued\r\n\r\nbody\r\n")
        assert code == 250, resp
        return re.search(rb"queued as (\w+)", resp).group(1).decode()
    finally:
        s.quit()


def svc(r, flag, name="qmgr"):
    subprocess.run(["s6-svc", flag, r.path("run", "service", name)],
                   check=True, timeout=30)


def test_live_queue(fresh):
    r = fresh
    r.start()
    svc(r, "-d")
    wait_for(lambda: "up" not in subprocess.run(
        ["s6-svstat", r.path("run", "service", "qmgr")],
        capture_output=True, text=True).stdout.split()[0], 20)
    ids = [send(r, ["someone@far.example"]) for _ in range(3)]
    assert all(where(r, i) == ["incoming"] for i in ids)
    out = q(r).stdout
    for i in ids:
        assert re.search(r"^%s  +\d+ .* sender@example\.org$" % i, out,
                         re.M), out
    assert mailq(r).stdout.count("far.example") == 3
    p = q(r, "hold", ids[0])
    assert p.returncode == 0, p.stderr
    p = q(r, "delete", ids[1])
    assert p.returncode == 0 and "%s: deleted" % ids[1] in p.stdout
    p = q(r, "flush")
    assert p.returncode == 1        # qmgr is down
    svc(r, "-u")
    # qmgr takes what is in incoming/ and keeps the remote recipient
    # waiting in deferred/ (no outbound client yet); hold/ is left alone.
    wait_for(lambda: where(r, ids[2]) == ["deferred"], 30)
    assert where(r, ids[0]) == ["hold"]
    show = q(r, "show", ids[2]).stdout
    assert "status: waiting" in show
    p = q(r, "release", ids[0])
    assert p.returncode == 0, p.stderr
    assert "cannot wake" not in p.stderr
    wait_for(lambda: where(r, ids[0]) == ["deferred"], 30)
    p = q(r, "flush")
    assert p.returncode == 0, p.stderr
    wait_for(lambda: "flush" in r.log("qmgr") or
             "trigger" in r.log("qmgr"), 10)
    # Never lost: both remaining entries are still queued.
    assert len(re.findall(r"^[0-9a-z]{16}[ *!]", q(r).stdout, re.M)) == 2


def test_release_makes_retry_due_now(fresh):
    """A recipient deferred for minutes is tried at once after hold and
    release (and after requeue), not at its old retry time."""
    r = fresh
    r.start()
    r.ctl("domain", "add", "example.test")
    subprocess.run([os.path.join(BIN, "roostctl"), "-d", r.dir, "user",
                    "add", "bob@example.test", "--password-stdin"],
                   input="secret\n", text=True, check=True, timeout=60)
    svc(r, "-d", "lmtpd")
    wait_for(lambda: "up" not in subprocess.run(
        ["s6-svstat", r.path("run", "service", "lmtpd")],
        capture_output=True, text=True).stdout.split()[0], 20)
    ids = [send(r, ["bob@example.test"]) for _ in range(2)]
    for i in ids:
        wait_for(lambda: where(r, i) == ["deferred"], 30)
    show = q(r, "show", ids[0]).stdout
    assert "status: deferred" in show and "(in " in show, show
    p = q(r, "hold", *ids)
    assert p.returncode == 0, p.stderr
    svc(r, "-u", "lmtpd")
    time.sleep(1)
    assert all(where(r, i) == ["hold"] for i in ids)    # hold/ stays put
    p = q(r, "release", ids[0])
    assert p.returncode == 0, p.stderr
    p = q(r, "requeue", ids[1])
    assert p.returncode == 0, p.stderr
    for i in ids:
        wait_for(lambda: where(r, i) == [], 30)
    msgs = r.path("store", "u", "bob@example.test", "msg")
    assert len(os.listdir(msgs)) == 2


def test_show_hostile_entries(stopped):
    r = stopped
    # A header section over the 1 MiB shown, without an end: cut.
    put(r, "deferred", A, data=big_image(b"X-Long: " + b"y" * (3 << 19)))
    p = q(r, "show", A)
    assert p.returncode == 0, p.stderr
    assert p.stdout.endswith("\n(header section cut)\n")
    assert len(p.stdout) < (1 << 20) + 4096
    # No header section at all, and a header split across records.
    put(r, "deferred", B, data=big_image(b"\nbody only\n"))
    p = q(r, "show", B)
    assert p.stdout.endswith("headers:\n"), p.stdout
    put(r, "deferred", C, data=big_image(b"A: " + b"a" * 70000 +
                                          b"\nB: b\n\nbody\n"))
    p = q(r, "show", C)
    assert p.stdout.endswith("\nB: b\n"), p.stdout[-200:]
    # A damaged status file: shown as all pending, with a warning; the
    # listing still works; a move does not write after the damage.
    put(r, "hold", D)
    with open(r.path("queue", "status", D), "wb") as f:
        f.write(b"not a status record")
    p = q(r, "show", D)
    assert p.returncode == 0 and "warning" in p.stderr
    assert "status: pending" in p.stdout
    assert D in q(r).stdout
    p = q(r, "release", D)
    assert p.returncode == 0 and where(r, D) == ["deferred"]
    with open(r.path("queue", "status", D), "rb") as f:
        assert f.read() == b"not a status record"
