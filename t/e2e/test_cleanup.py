"""cleanup, spoken to directly over its Unix socket: what it commits to
queue/incoming/, and what it refuses (roost-queue(5), cleanup(8))."""
import os
import re
import signal
import socket
import time

import pytest

import queuefile
from roost import wait_for

QID = re.compile(r"^[0-9a-hjkmnp-tv-z]{16}$")

pytestmark = pytest.mark.usefixtures("held_queue")


def esc(v):
    out = bytearray()
    for c in v.encode() if isinstance(v, str) else v:
        out += b"%%%02X" % c if c in b"%\r\n\0" else bytes([c])
    return bytes(out)


class Cleanup:
    def __init__(self, roost):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(20)
        self.s.connect(roost.path("run", "cleanup"))
        self.f = self.s.makefile("rwb")
        greet = self.read()
        assert greet == [("proto", "cleanup"), ("version", "1.1")]

    def read(self):
        attrs = []
        while True:
            line = self.f.readline()
            assert line.endswith(b"\n"), "connection closed"
            if line == b"\n":
                return attrs
            name, _, value = line[:-1].decode().partition("=")
            attrs.append((name, re.sub(
                "%([0-9A-F]{2})", lambda m: chr(int(m.group(1), 16)),
                value)))

    def send(self, attrs):
        for name, value in attrs:
            self.f.write(name.encode() + b"=" + esc(value) + b"\n")
        self.f.write(b"\n")
        self.f.flush()

    def begin(self, sender="a@example.org", rcpts=("b@example.org",),
              extra=()):
        env = [("request", "submit"), ("sender", sender)]
        env += [("rcpt", r) for r in rcpts]
        env += list(extra)
        self.send(env)
        return dict(self.read())

    def data(self, content, chunk=1000):
        for i in range(0, len(content), chunk):
            part = content[i:i + chunk]
            self.f.write(b"%d\n" % len(part) + part)
        self.f.write(b"0\n")
        self.f.flush()
        return dict(self.read())

    def close(self):
        self.f.close()
        self.s.close()


def records(path):
    """Decode a queue file into [(type, payload)] (roost-queue(5))."""
    with open(path, "rb") as fh:
        return queuefile.records(fh.read())


def entry(roost, qid):
    recs = records(roost.path("queue", "incoming", qid))
    assert recs[0] == ("V", b"roost-queue 1")
    assert recs[1][0] == "T" and recs[-1] == ("E", b"")
    env = {"attrs": {}, "rcpt": []}
    content = b""
    for t, p in recs:
        if t == "A":
            k, _, v = p.decode().partition("=")
            env["attrs"][k] = v
        elif t == "S":
            env["sender"] = p.decode()
        elif t == "P":
            env["params"] = p.decode()
        elif t == "R":
            env["rcpt"].append(p.decode())
        elif t == "D":
            assert len(p) <= 65536
            content += p
    return env, content


def leftovers(roost):
    return (os.listdir(roost.path("queue", "tmp")),
            set(os.listdir(roost.path("queue", "incoming"))))


SESSION = [("client_addr", "192.0.2.7"), ("client_name", "mx.example.net"),
           ("helo", "mx.example.net"), ("proto", "ESMTP"),
           ("mail_params", "BODY=8BITMIME")]


def test_message_committed(roost):
    c = Cleanup(roost)
    assert c.begin(extra=SESSION) == {"status": "ok"}
    body = b"Subject: hello\nX-Folded: a\n b\n\nline 1\n" + b"x" * 200000 + \
        b"\n"
    r = c.data(body)
    assert r["status"] == "ok" and QID.match(r["queue_id"])
    qid = r["queue_id"]
    env, content = entry(roost, qid)
    assert env["sender"] == "a@example.org"
    assert env["rcpt"] == ["b@example.org"]
    assert env["params"] == "BODY=8BITMIME"
    assert env["attrs"]["helo"] == "mx.example.net"
    assert content.startswith(
        b"Received: from mx.example.net (mx.example.net [192.0.2.7])\n"
        b"\tby ")
    assert (b" (roost) with ESMTP id %s\n\tfor <b@example.org>;\n\t"
            % qid.encode()) in content
    head, _, rest = content.partition(b"\n\n")
    assert b"\nSubject: hello\nX-Folded: a\n b\n" in head
    assert b"\nMessage-ID: <%s@" % qid.encode() in head
    assert re.search(rb"\nDate: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d "
                     rb"[+-]\d{4}(\n|$)", head)
    assert rest == b"line 1\n" + b"x" * 200000 + b"\n"
    # a second transaction on the same connection; headers only
    assert c.begin(rcpts=("c@example.org", "d@example.org"),
                   extra=SESSION)["status"] == "ok"
    r2 = c.data(b"Message-ID: <own@x>\nDate: Mon, 1 Jan 2024 00:00:00 +0000")
    assert r2["status"] == "ok" and r2["queue_id"] > qid
    env, content = entry(roost, r2["queue_id"])
    assert env["rcpt"] == ["c@example.org", "d@example.org"]
    assert b"\tfor <" not in content
    assert content.count(b"Message-ID:") == 1
    assert content.endswith(b"Date: Mon, 1 Jan 2024 00:00:00 +0000\n")
    c.close()
    wait_for(lambda: "queued id=%s from=<a@example.org> nrcpt=1" % qid
             in roost.log("cleanup"), 5)


def test_too_big_refused(roost):
    limit = 25 * 1024 * 1024
    c = Cleanup(roost)
    assert c.begin()["status"] == "ok"
    before = leftovers(roost)[1]
    r = c.data(b"Subject: big\n\n" + b"y" * limit, chunk=65536)
    assert r["status"] == "fail"
    assert r["reason"].startswith("5.3.4")
    # the connection is still in step
    assert c.begin()["status"] == "ok"
    assert c.data(b"Subject: small\n\nok\n")["status"] == "ok"
    c.close()
    assert not leftovers(roost)[0]
    assert len(leftovers(roost)[1] - before) == 1


@pytest.mark.parametrize("head", [
    b"Subject: x\nthis is no header\n\nbody\n",
    b"Subject: x\nBad\x00: y\n\nbody\n",
    b"Subj ect: x\n\nbody\n",
    b" leading continuation\nSubject: x\n\nbody\n",
    b"".join(b"X-%d: y\n" % i for i in range(1001)) + b"\nbody\n",
    b"X-Long: " + b"z" * (1024 * 1024 + 10) + b"\n\nbody\n",
])
def test_malformed_headers_refused(roost, head):
    c = Cleanup(roost)
    assert c.begin()["status"] == "ok"
    r = c.data(head, chunk=65536)
    assert r["status"] == "fail" and r["reason"].startswith("5.6.0"), r
    c.close()
    assert not leftovers(roost)[0]


def test_abort_leaves_nothing(roost):
    before = leftovers(roost)[1]
    c = Cleanup(roost)
    assert c.begin()["status"] == "ok"
    c.f.write(b"5\nSubje-\n")
    c.f.flush()
    # the connection is usable afterwards
    assert c.begin()["status"] == "ok"
    c.f.write(b"-\n")
    c.f.flush()
    c.close()
    time.sleep(0.3)
    tmp, inc = leftovers(roost)
    assert tmp == [] and inc == before


def test_rcpt_from_headers(roost):
    c = Cleanup(roost)
    r = c.begin(rcpts=(), extra=[("flags", "rcpt_from_headers")])
    assert r["status"] == "ok"
    msg = (b"From: me@example.org\n"
           b"To: \"Doe, John\" <john@example.org>, plain@example.org\n"
           b"Cc: team: x@example.org (comment, with comma), y@example.org;\n"
           b" , (just a comment) z@example.org\n"
           b"Bcc: hidden@example.org,\n\tundisclosed-recipients:;\n"
           b"Subject: t\n\nbody\nBcc: not-a-header@example.org\n")
    r = c.data(msg)
    assert r["status"] == "ok"
    env, content = entry(roost, r["queue_id"])
    assert env["rcpt"] == ["john@example.org", "plain@example.org",
                           "x@example.org", "y@example.org",
                           "z@example.org", "hidden@example.org"]
    assert env["attrs"]["flags"] == "rcpt_from_headers"
    head, _, body = content.partition(b"\n\n")
    assert b"\nBcc:" not in head and b"hidden" not in head
    assert b"\nCc: team:" in head
    assert body == b"body\nBcc: not-a-header@example.org\n"
    # and with no address at all
    assert c.begin(rcpts=(), extra=[("flags", "rcpt_from_headers")]
                   )["status"] == "ok"
    r = c.data(b"Subject: nobody\n\n")
    assert r["status"] == "fail" and r["reason"].startswith("5.5.1")
    c.close()


def test_no_recipient_refused_at_envelope(roost):
    c = Cleanup(roost)
    r = c.begin(rcpts=())
    assert r["status"] == "fail" and r["reason"].startswith("5.5.1")
    c.close()


def test_client_killed_mid_data(roost):
    before = leftovers(roost)[1]
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            c = Cleanup(roost)
            assert c.begin()["status"] == "ok"
            c.f.write(b"100000\nSubject: cut\n\n" + b"q" * 5000)
            c.f.flush()
            os.write(w, b"x")
            time.sleep(60)
        finally:
            os._exit(0)
    os.close(w)
    assert os.read(r, 1) == b"x"
    wait_for(lambda: leftovers(roost)[0] != [], 5)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    wait_for(lambda: leftovers(roost)[0] == [], 5)
    time.sleep(0.2)
    tmp, inc = leftovers(roost)
    assert tmp == [] and inc == before
    wait_for(lambda: "connection lost during content" in
             roost.log("cleanup"), 5)


def test_protocol_error_disconnects(roost):
    c = Cleanup(roost)
    c.send([("request", "bogus")])
    assert c.read() == [("status", "tempfail"),
                        ("reason", "4.3.0 unknown request")]
    assert c.f.readline() == b""
    c.close()


def test_socket_mode(roost):
    assert os.stat(roost.path("run", "cleanup")).st_mode & 0o777 == 0o666


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to become nobody")
def test_local_user(roost):
    """A local user's session facts are ignored; its login is recorded
    and From: is made from the sender and full name."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            os.setgid(65534)
            os.setuid(65534)
            c = Cleanup(roost)
            assert c.begin(sender="", rcpts=("x@example.org",), extra=[
                ("helo", "forged"), ("client_addr", "192.0.2.1"),
                ("fullname", "No Body, Esq.")])["status"] == "ok"
            os.write(w, c.data(b"Subject: local\n\nhi\n")["queue_id"]
                     .encode())
        finally:
            os._exit(0)
    os.close(w)
    qid = os.read(r, 100).decode()
    os.waitpid(pid, 0)
    assert QID.match(qid)
    env, content = entry(roost, qid)
    assert env["attrs"]["local_user"] == "nobody"
    assert "helo" not in env["attrs"] and "client_addr" not in env["attrs"]
    assert env["sender"] == ""
    assert re.match(rb"Received: by \S+ \(roost, from userid 65534\) id "
                    + qid.encode() + rb"; ", content)
    assert re.search(rb"\nFrom: \"No Body, Esq.\" <nobody@\S+>\n", content)


@pytest.mark.skipif(os.geteuid() != 0, reason="checks root's login name")
def test_trusted_local_submission(roost):
    """A trusted caller without client_addr (sendmail run by root) is a
    local submission: login recorded, default sender, From: added."""
    c = Cleanup(roost)
    c.send([("request", "submit"), ("rcpt", "x@example.org"),
            ("fullname", "Cron Daemon")])
    assert dict(c.read()) == {"status": "ok"}
    r = c.data(b"Subject: cron\n\nout\n")
    c.close()
    env, content = entry(roost, r["queue_id"])
    assert env["attrs"]["local_user"] == "root"
    assert env["sender"].startswith("root@")
    assert b"(roost, from userid 0) id " in content
    assert b"\nFrom: Cron Daemon <root@" in content


def test_report_id_queued_once(roost):
    """qmgr's report, submitted again after a crash, is queued once: the
    second answer names the first entry, and nothing more is queued."""
    rid = "0123456789abcdef.f00000000000000a1"
    ids = []
    for _ in range(2):
        c = Cleanup(roost)
        assert c.begin(sender="", rcpts=("b@example.org",),
                       extra=[("report_id", rid)])["status"] == "ok"
        ans = c.data(b"Subject: report\n\nonce\n")
        c.close()
        assert ans["status"] == "ok"
        ids.append(ans["queue_id"])
    assert ids[0] == ids[1]
    assert ids[0] in os.listdir(roost.path("queue", "incoming"))
    with open(roost.path("queue", "reports", rid)) as f:
        assert f.read() == ids[0] + "\n"
    wait_for(lambda: "report %s was queued as %s: not again" % (rid, ids[0])
             in roost.log("cleanup"), 10)


def test_report_claim_without_commit_is_taken_over(roost):
    """An empty claim (a crash before its write reached the disk) was
    never followed by a commit: the next submission is queued.  A claim
    naming an entry that is gone (delivered) queues nothing."""
    empty = "0123456789abcdef.f00000000000000b2"
    gone = "0123456789abcdef.f00000000000000c3"
    open(roost.path("queue", "reports", empty), "w").close()
    with open(roost.path("queue", "reports", gone), "w") as f:
        f.write("0123456789abcdeg\n")
    st = os.stat(roost.path("queue", "reports"))
    for rid in (empty, gone):      # as cleanup would have made them
        os.chown(roost.path("queue", "reports", rid), st.st_uid, st.st_gid)
    before = set(os.listdir(roost.path("queue", "incoming")))
    got = {}
    for rid in (empty, gone):
        c = Cleanup(roost)
        c.begin(sender="", rcpts=("b@example.org",),
                extra=[("report_id", rid)])
        ans = c.data(b"Subject: report\n\nx\n")
        assert "queue_id" in ans, (rid, ans)
        got[rid] = ans["queue_id"]
        c.close()
    new = set(os.listdir(roost.path("queue", "incoming"))) - before
    assert new == {got[empty]}
    assert got[gone] == "0123456789abcdeg"


def test_report_id_checked_and_only_from_qmgr(roost):
    c = Cleanup(roost)
    ans = c.begin(sender="", rcpts=("b@example.org",),
                  extra=[("report_id", "../../etc/passwd")])
    assert ans["status"] == "fail" and "report_id" in ans["reason"]
    c.close()
    # a local user cannot claim a report's ID: it is ignored
    rid = "0123456789abcdef.f00000000000000d4"
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            os.setgid(65534)
            os.setuid(65534)
            for _ in range(2):
                c = Cleanup(roost)
                c.begin(sender="", rcpts=("x@example.org",),
                        extra=[("report_id", rid)])
                os.write(w, c.data(b"Subject: r\n\nx\n")["queue_id"]
                         .encode() + b"\n")
                c.close()
        finally:
            os._exit(0)
    os.close(w)
    out = b""
    while True:
        b = os.read(r, 100)
        if not b:
            break
        out += b
    os.waitpid(pid, 0)
    qids = out.decode().split()
    assert len(qids) == 2 and qids[0] != qids[1]
    assert not os.path.exists(roost.path("queue", "reports", rid))
