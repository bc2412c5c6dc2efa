"""qmgr retries and reports: temporary failures back off and are
retried, a delay notice after delay_warning_time, a bounce after
maximal_queue_lifetime, an immediate bounce for permanent failures, all
RFC 3464 reports; the null sender is never bounced; NOTIFY is honoured.
A hostile LMTP server is deferred or bounced as each reply deserves, and
an LMTP connection is reused while work is queued.  Short intervals make
it run in seconds."""
import email
import os
import smtplib
import socket
import subprocess
import threading
import time

import pytest

from roost import BIN, Roost, wait_for
from test_delivery import (add_user, mailbox, marked, newaliases,
                           queue_empty, send, set_conf, status_records)


@pytest.fixture(scope="module")
def inst():
    if os.geteuid() != 0:
        pytest.skip("pipe's account switching needs root")
    r = Roost()
    try:
        r.start()
        set_conf(r, "minimal_backoff_time = 1s\n"
                    "maximal_backoff_time = 2s\n"
                    "delay_warning_time = 3s\n"
                    "maximal_queue_lifetime = 6s\n"
                    "queue_run_delay = 1s\n"
                    # what qmgr delivers twice must show
                    "duplicate_suppression = no\n", "qmgr", "lmtpd")
        for u in ("alice", "bob"):
            add_user(r, u)
        with open(r.path("etc", "aliases"), "w") as f:
            f.write("tempfail: \"|exit 75\"\n"
                    "permfail: \"|echo no such luck; exit 1\"\n"
                    "halfway: alice, \"|exit 75\"\n")
        newaliases(r)
        yield r
    finally:
        r.finish()


def reports(r, user, marker, action):
    """user's DSNs about marker's message with this Action, parsed."""
    out = []
    for raw in mailbox(r, user):
        if marker.encode() not in raw or b"multipart/report" not in raw:
            continue
        msg = email.message_from_bytes(raw)
        status = [p for p in msg.walk()
                  if p.get_content_type() == "message/delivery-status"]
        if status and any(b.get("Action") == action
                          for b in status[0].get_payload()[1:]):
            out.append(msg)
    return out


def check_report(msg, action, rcpt, status_class, orcpt=None):
    """The fields RFC 3464 asks for, in the shape it asks for them."""
    assert msg.get_content_type() == "multipart/report"
    assert msg.get_param("report-type") == "delivery-status"
    assert msg["From"].startswith("MAILER-DAEMON@")
    parts = msg.get_payload()
    assert parts[0].get_content_type() == "text/plain"
    assert parts[1].get_content_type() == "message/delivery-status"
    assert parts[2].get_content_type() in ("message/rfc822",
                                           "text/rfc822-headers")
    blocks = parts[1].get_payload()
    assert blocks[0]["Reporting-MTA"].startswith("dns; ")
    assert blocks[0]["Arrival-Date"]
    r = [b for b in blocks[1:] if b["Final-Recipient"] == "rfc822; " + rcpt]
    assert len(r) == 1, [dict(b) for b in blocks]
    r = r[0]
    assert r["Action"] == action
    assert r["Status"][0] == status_class
    assert r["Diagnostic-Code"].startswith("smtp; ")
    assert r["Last-Attempt-Date"]
    if action == "delayed":
        assert r["Will-Retry-Until"]
    if orcpt:
        assert r["Original-Recipient"] == "rfc822; " + orcpt
    return parts


def test_lmtpd_down_defers_then_delivers(inst):
    inst.service("lmtpd", False)
    try:
        m = send(inst, "", ["bob@localhost"])
        wait_for(lambda: os.listdir(inst.path("queue", "deferred")), 20)
        wait_for(lambda: "status=deferred" in inst.log("qmgr"), 20)
        assert not marked(inst, "bob", m)
    finally:
        inst.service("lmtpd", True)
    wait_for(lambda: marked(inst, "bob", m), 20)
    wait_for(lambda: queue_empty(inst), 20)
    assert len(marked(inst, "bob", m)) == 1


def test_tempfail_delay_notice_then_bounce(inst):
    t0 = time.monotonic()
    # ORCPT is xtext (RFC 3461 4): "+2B" is "+"
    m = send(inst, "alice@localhost", ["tempfail@localhost"],
             rcpt_options=["ORCPT=rfc822;tempfail+2Bx@localhost"])
    wait_for(lambda: reports(inst, "alice", m, "delayed"), 20)
    assert time.monotonic() - t0 >= 2.5     # not before delay_warning_time
    wait_for(lambda: reports(inst, "alice", m, "failed"), 30)
    assert time.monotonic() - t0 >= 5.5     # not before the lifetime
    wait_for(lambda: queue_empty(inst), 20)
    time.sleep(2)
    delayed = reports(inst, "alice", m, "delayed")
    failed = reports(inst, "alice", m, "failed")
    assert len(delayed) == 1 and len(failed) == 1
    check_report(delayed[0], "delayed", "tempfail@localhost", "4",
                 orcpt="tempfail+x@localhost")
    parts = check_report(failed[0], "failed", "tempfail@localhost", "4",
                         orcpt="tempfail+x@localhost")
    assert m in parts[2].as_string()    # the original comes back


def test_expansion_retries_only_what_failed(inst):
    """alice's copy is delivered once, though the command beside her in
    the alias is retried until the message expires."""
    m = send(inst, "bob@localhost", ["halfway@localhost"])
    wait_for(lambda: reports(inst, "bob", m, "failed"), 30)
    wait_for(lambda: queue_empty(inst), 20)
    assert len(marked(inst, "alice", m)) == 1
    assert len(reports(inst, "bob", m, "delayed")) == 1


def test_permfail_bounces_at_once(inst):
    t0 = time.monotonic()
    m = send(inst, "alice@localhost", ["permfail@localhost"])
    wait_for(lambda: reports(inst, "alice", m, "failed"), 20)
    assert time.monotonic() - t0 < 3    # before any delay notice
    msg = reports(inst, "alice", m, "failed")[0]
    parts = check_report(msg, "failed", "permfail@localhost", "5")
    assert parts[2].get_content_type() == "message/rfc822"
    assert "no such luck" in parts[1].as_string()
    wait_for(lambda: queue_empty(inst), 20)


def test_ret_hdrs_returns_headers_only(inst):
    with_body = "unique-body-text-%d" % os.getpid()
    m = send(inst, "alice@localhost", ["permfail@localhost"],
             extra=b"X-Body: " + with_body.encode() + b"\r\n")
    wait_for(lambda: reports(inst, "alice", m, "failed"), 20)
    # and the same with RET=HDRS through smtplib's mail options
    body = (b"Subject: hdrs\r\nX-Test: %sh\r\n\r\nsecret body\r\n" %
            m.encode())
    with smtplib.SMTP("127.0.0.1", inst.port("smtp"), timeout=30) as s:
        s.sendmail("alice@localhost", ["permfail@localhost"], body,
                   mail_options=["RET=HDRS"])
    wait_for(lambda: reports(inst, "alice", m + "h", "failed"), 20)
    msg = reports(inst, "alice", m + "h", "failed")[0]
    parts = check_report(msg, "failed", "permfail@localhost", "5")
    assert parts[2].get_content_type() == "text/rfc822-headers"
    assert "secret body" not in msg.as_string()


def test_unknown_local_user_bounces(inst):
    """sendmail queues without smtpd's RCPT check: qmgr finds out."""
    m = "unknown-%d" % os.getpid()
    subprocess.run([os.path.join(BIN, "sendmail"), "-C", inst.conf,
                    "-f", "alice@localhost", "nosuchuser@localhost"],
                   input=b"Subject: x\nX-Test: %s\n\nhi\n" % m.encode(),
                   check=True, timeout=60)
    wait_for(lambda: reports(inst, "alice", m, "failed"), 20)
    parts = check_report(reports(inst, "alice", m, "failed")[0], "failed",
                         "nosuchuser@localhost", "5")
    assert "Status: 5.1.1" in parts[1].as_string()
    wait_for(lambda: queue_empty(inst), 20)


def test_null_sender_never_bounced(inst):
    before = sum(len(mailbox(inst, u)) for u in ("alice", "bob"))
    m = send(inst, "", ["permfail@localhost"])
    wait_for(lambda: queue_empty(inst), 20)
    time.sleep(1.5)
    assert queue_empty(inst)
    assert sum(len(mailbox(inst, u)) for u in ("alice", "bob")) == before
    assert "null sender: notification dropped" in inst.log("qmgr")
    assert not [x for u in ("alice", "bob") for x in mailbox(inst, u)
                if m.encode() in x]


def test_notify_never_and_success(inst):
    m = send(inst, "alice@localhost", ["permfail@localhost"],
             rcpt_options=["NOTIFY=NEVER"])
    m2 = send(inst, "alice@localhost", ["bob@localhost"],
              rcpt_options=["NOTIFY=SUCCESS"])
    wait_for(lambda: reports(inst, "alice", m2, "delivered"), 20)
    check_report(reports(inst, "alice", m2, "delivered")[0], "delivered",
                 "bob@localhost", "2")
    wait_for(lambda: queue_empty(inst), 20)
    time.sleep(1.5)
    assert not [x for x in mailbox(inst, "alice") if m.encode() in x]
    assert len(marked(inst, "bob", m2)) == 1


# -- a hostile LMTP server -------------------------------------------------
def fake_lmtp(path, modes, seen):
    """Serve one connection per mode, misbehaving as the mode says."""
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(path)
    os.chmod(path, 0o777)
    srv.listen(8)
    srv.settimeout(60)

    def session(c, mode):
        f = c.makefile("rwb")

        def say(text):
            f.write(text.encode())
            f.flush()
        if mode == "garbage":
            say("hello there, I am no LMTP server\r\n")
            return
        if mode == "huge":
            say("220 " + "x" * 200000)
            return
        say("220 fake LMTP\r\n")
        rcpts, accepted = 0, 0
        for line in f:
            cmd = line.decode(errors="replace").strip().upper()
            seen.append((mode, cmd))
            if cmd.startswith("LHLO"):
                say("250-fake\r\n250-PIPELINING\r\n250 8BITMIME\r\n")
            elif cmd.startswith("MAIL") or cmd == "RSET":
                rcpts = accepted = 0
                say("250 2.0.0 ok\r\n")
            elif cmd.startswith("RCPT"):
                rcpts += 1
                if mode == "reject":
                    say("550 5.1.1 no such user here\r\n")
                else:
                    accepted += 1
                    say("250 2.1.5 ok\r\n")
            elif cmd == "DATA":
                if accepted == 0:
                    say("503 5.5.1 no valid recipients\r\n")
                    continue
                say("354 go ahead\r\n")
                for body in f:
                    if body == b".\r\n":
                        break
                # split: the first recipient's reply, then we die
                if mode == "slow":
                    time.sleep(0.3)     # let the queue fill up
                say("250 2.0.0 first one stored\r\n")
                if mode == "split":
                    return
                for _ in range(accepted - 1):
                    say("250 2.0.0 stored\r\n")
            elif cmd == "QUIT":
                say("221 bye\r\n")
                return
            else:
                say("500 5.5.2 what\r\n")

    def serve():
        for mode in modes:
            try:
                c, _ = srv.accept()
            except OSError:
                return
            with c:
                try:
                    session(c, mode)
                except OSError:
                    pass
        srv.close()
    t = threading.Thread(target=serve, daemon=True)
    t.start()
    return t


def test_hostile_lmtp_server(fresh):
    """Garbage, an endless line, a connection lost between the replies
    after DATA, refusals: qmgr defers or bounces as each deserves, never
    counts an unanswered recipient as delivered, and keeps running."""
    fresh.start()
    for u in ("bob", "carol"):
        add_user(fresh, u)
    seen = []
    fake_lmtp(fresh.path("run", "fake-lmtp"),
              ["garbage", "huge", "split", "reject"], seen)
    set_conf(fresh, "lmtp_destination = unix:fake-lmtp\n"
                    "minimal_backoff_time = 1h\n"
                    "maximal_backoff_time = 1h\n", "qmgr")
    pid = fresh.status()["qmgr"]

    def outcome(marker, n):
        """The recipient records of marker's entry, once there are n."""
        for qid in os.listdir(fresh.path("queue", "deferred")):
            try:
                recs = status_records(fresh, qid)
            except FileNotFoundError:
                continue
            with open(fresh.path("queue", "deferred", qid), "rb") as f:
                if marker.encode() not in f.read():
                    continue
            recs = [x for x in recs if "rcpt" in x and "target" not in x]
            return recs if len(recs) >= n else None
        return None

    for mode in ("garbage", "huge"):
        m = send(fresh, "", ["bob@localhost"])
        box = []
        wait_for(lambda: box.append(outcome(m, 1)) or box[-1], 30)
        assert box[-1][0]["status"] == "deferred", (mode, box[-1])
        assert box[-1][0]["dsn"].startswith("4."), (mode, box[-1])
    m = send(fresh, "", ["bob@localhost", "carol@localhost"])
    box = []
    wait_for(lambda: box.append(outcome(m, 2)) or box[-1], 30)
    by = {x["rcpt"]: x for x in box[-1]}
    assert by["0"]["status"] == "sent"
    assert by["1"]["status"] == "deferred"     # never answered
    m = send(fresh, "", ["bob@localhost"])
    wait_for(lambda: "no such user here" in fresh.log("qmgr"), 30)
    assert "status=bounced (550 5.1.1 no such user here)" in \
        fresh.log("qmgr")
    assert fresh.status()["qmgr"] == pid      # it never crashed
    assert ("split", "RCPT TO:<CAROL@LOCALHOST>") in seen


def test_lmtp_connection_reused(fresh):
    """With one LMTP connection allowed and work queued, transactions
    follow each other on it, each after RSET."""
    fresh.start()
    add_user(fresh, "bob")
    seen = []
    fake_lmtp(fresh.path("run", "fake-lmtp"), ["slow"], seen)
    set_conf(fresh, "lmtp_destination = unix:fake-lmtp\n"
                    "lmtp_concurrency = 1\n", "qmgr")
    with smtplib.SMTP("127.0.0.1", fresh.port("smtp"), timeout=30) as s:
        for i in range(5):
            s.sendmail("", ["bob@localhost"],
                       b"Subject: %d\r\n\r\nx\r\n" % i)
    wait_for(lambda: fresh.log("qmgr").count("status=sent") == 5, 30)
    assert sum(1 for _, cmd in seen if cmd.startswith("MAIL")) == 5
    assert sum(1 for _, cmd in seen if cmd == "RSET") == 4
    assert sum(1 for _, cmd in seen if cmd.startswith("LHLO")) == 1
