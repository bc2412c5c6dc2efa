"""imapd with several sessions on one mailbox: what one session does is
reported to the others, at the times RFC 3501 7.4.1 allows; IDLE
(RFC 2177) over a raw socket, and how soon it reports a new message;
a mailbox of 10,000 messages."""
import smtplib
import statistics
import time
import uuid

import pytest

from imapclient import (PASSWORD, Raw, connect, logout, make_server,
                        quote, roost_only, simple_message)

USER = "carol"
BIG = "bigbox"


@pytest.fixture(scope="module")
def srv():
    s = make_server()
    try:
        s.start()
        for u in (USER, BIG):
            s.add_user(u)
        yield s
    finally:
        s.finish()


def raw_session(srv, user=USER, box=None):
    r = Raw(srv.port)
    r.login(user)
    if box:
        r.ok("SELECT %s" % quote(box))
    return r


def new_box(c, n):
    name = "c-" + uuid.uuid4().hex[:10]
    c.ok("CREATE", quote(name))
    for i in range(n):
        c.ok("APPEND", quote(name), literal=simple_message("m%d" % i))
    return name


def kinds(resps):
    return [r.kind for r in resps]


def test_append_seen_by_other_session_at_noop(srv):
    a = connect(srv, USER)
    b = connect(srv, USER)
    try:
        box = new_box(a, 2)
        r = a.select_box(box)
        assert r.one("EXISTS").num == 2
        b.ok("APPEND", quote(box), literal=simple_message("new"))
        r = a.ok("NOOP")
        assert r.one("EXISTS").num == 3
        f = a.ok("FETCH", "3", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        assert list(f.fetches()[3].values()) == [b"Subject: new\r\n\r\n"]
        # and nothing new: nothing reported
        assert a.ok("NOOP").untagged == []
    finally:
        logout(a)
        logout(b)


def test_flags_changed_by_other_session(srv):
    a = connect(srv, USER)
    b = connect(srv, USER)
    try:
        box = new_box(a, 3)
        a.select_box(box)
        b.select_box(box)
        b.ok("STORE", "2", "+FLAGS", "(\\Flagged $Other)")
        r = a.ok("NOOP")
        f = r.fetches()
        assert list(f) == [2]
        assert {"\\Flagged", "$Other"} <= set(f[2]["FLAGS"])
        # a keyword new to the mailbox is announced with FLAGS first
        assert any("$Other" in x.data[0] for x in r.of("FLAGS"))
        b.ok("STORE", "2", "-FLAGS", "(\\Flagged)")
        f = a.ok("FETCH", "1:3", "(FLAGS)").fetches()
        assert "\\Flagged" not in f[2]["FLAGS"]
        assert "$Other" in f[2]["FLAGS"]
    finally:
        logout(a)
        logout(b)


def test_expunge_reported_only_where_allowed(srv):
    """RFC 3501 7.4.1: no EXPUNGE while answering FETCH, STORE or
    SEARCH (the client's sequence numbers would shift under it); the
    next NOOP reports it."""
    a = connect(srv, USER)
    b = connect(srv, USER)
    try:
        box = new_box(a, 4)
        a.select_box(box)
        uids = [int(v["UID"]) for _, v in sorted(
            a.ok("FETCH", "1:*", "(UID)").fetches().items())]
        b.select_box(box)
        b.ok("STORE", "2", "+FLAGS.SILENT", "(\\Deleted)")
        r = b.ok("EXPUNGE")
        assert [x.num for x in r.of("EXPUNGE")] == [2]
        time.sleep(0.2)
        r = a.run("FETCH", "1:*", "(FLAGS)")
        assert "EXPUNGE" not in kinds(r.untagged)
        assert r.typ in ("OK", "NO")
        r = a.run("STORE", "1", "+FLAGS", "(\\Seen)")
        assert r.typ == "OK" and "EXPUNGE" not in kinds(r.untagged)
        r = a.ok("SEARCH", "ALL")
        assert "EXPUNGE" not in kinds(r.untagged)
        # the numbers are still the old ones: 4 messages
        assert r.search()[-1] == 4 or r.search() == [1, 3, 4]
        # message 4 is still number 4 until the EXPUNGE is reported
        r = a.ok("FETCH", "4", "(UID)")
        assert int(r.fetches()[4]["UID"]) == uids[3]
        r = a.ok("NOOP")
        assert [x.num for x in r.of("EXPUNGE")] == [2]
        f = a.ok("FETCH", "1:*", "(UID)").fetches()
        assert [int(f[n]["UID"]) for n in sorted(f)] == \
            [uids[0], uids[2], uids[3]]
        # other commands that allow it report at once (CHECK here)
        b.ok("STORE", "1", "+FLAGS.SILENT", "(\\Deleted)")
        b.ok("EXPUNGE")
        r = a.ok("CHECK")
        assert [x.num for x in r.of("EXPUNGE")] == [1]
    finally:
        logout(a)
        logout(b)


def idle_start(r):
    r.send(b"i1 IDLE\r\n")
    cont = r.response(10)
    assert cont is not None and cont.kind == "+", cont


def idle_done(r):
    r.send(b"DONE\r\n")
    t, un = r.until_tagged("i1")
    assert t.kind == "OK", t
    return un


def wait_kind(r, kind, timeout):
    """Responses until one of kind arrives: (it, when, others)."""
    others = []
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        resp = r.response(max(0.0, left))
        if resp is None:
            raise AssertionError("no %s within %.1fs (got %r)" % (
                kind, timeout, others))
        if resp.kind == kind:
            return resp, time.monotonic(), others
        others.append(resp)


def test_idle_reports_append_within_100ms(srv):
    w = connect(srv, USER)
    box = new_box(w, 1)
    r = raw_session(srv, box=box)
    try:
        idle_start(r)
        lat = []
        for i in range(7):
            w.ok("APPEND", quote(box), literal=simple_message("idle%d" % i))
            t_commit = time.monotonic()    # the tagged OK: committed
            ex, t_seen, _ = wait_kind(r, "EXISTS", 5)
            assert ex.num == i + 2
            lat.append(t_seen - t_commit)
        print("IDLE: EXISTS after APPEND's OK: %s ms (median %.1f ms)" % (
            ", ".join("%.1f" % (x * 1000) for x in lat),
            statistics.median(lat) * 1000))
        assert statistics.median(lat) < 0.1, lat
        assert max(lat) < 0.5, lat
        # flag changes and expunges arrive in IDLE too
        w.select_box(box)
        w.ok("STORE", "1", "+FLAGS", "(\\Answered)")
        f, _, _ = wait_kind(r, "FETCH", 5)
        assert f.num == 1 and "\\Answered" in f.fetch()["FLAGS"]
        w.ok("STORE", "2", "+FLAGS.SILENT", "(\\Deleted)")
        w.ok("EXPUNGE")
        e, _, _ = wait_kind(r, "EXPUNGE", 5)
        assert e.num == 2
        idle_done(r)
        t, un = r.cmd("NOOP")
        assert t.kind == "OK" and "EXPUNGE" not in kinds(un)
    finally:
        r.close()
        logout(w)


def test_idle_reports_smtp_delivery(srv):
    roost_only(srv, "SMTP delivery")
    r = raw_session(srv, box="INBOX")
    try:
        idle_start(r)
        marker = uuid.uuid4().hex
        t0 = time.monotonic()
        with smtplib.SMTP("127.0.0.1", srv.smtp_port(), timeout=30) as s:
            s.sendmail("someone@localhost", ["%s@localhost" % USER],
                       simple_message("smtp " + marker))
        _, t_seen, _ = wait_kind(r, "EXISTS", 60)
        print("IDLE: EXISTS %.0f ms after the SMTP transaction began" %
              ((t_seen - t0) * 1000))
        idle_done(r)
        t, un = r.cmd('SEARCH SUBJECT "%s"' % marker)
        nums = [x for x in un if x.kind == "SEARCH"][0].data
        assert len(nums) == 1
    finally:
        r.close()


def test_idle_rules(srv):
    r = raw_session(srv, box="INBOX")
    try:
        idle_start(r)
        # anything but DONE ends IDLE with BAD (RFC 2177)
        r.send(b"x1 NOOP\r\n")
        t, _ = r.until_tagged("i1", 10)
        assert t.kind == "BAD"
        t, _ = r.cmd("NOOP")
        assert t.kind == "OK"
        # "done" in any case
        idle_start(r)
        r.send(b"done\r\n")
        t, _ = r.until_tagged("i1", 10)
        assert t.kind == "OK"
    finally:
        r.close()


def test_many_idle_sessions(srv):
    """200 sessions of one user at once, all in IDLE (well within the
    limits set here and imapd_process_limit): every one logs in, and
    every one hears of a new message."""
    srv.configure("imapd_user_sessions = 1000\nimapd_ip_sessions = 1000\n")
    box = "many"
    w = connect(srv, USER)
    w.ok("CREATE", box)
    sessions = []
    try:
        for i in range(200):
            r = Raw(srv.port)
            sessions.append(r)
            t, _ = r.cmd('LOGIN %s "%s"' % (USER, PASSWORD))
            assert t.kind == "OK", (i, t)
            r.ok("SELECT %s" % box)
            idle_start(r)
        w.ok("APPEND", box, literal=simple_message("to all"))
        # (beyond the kernel's inotify instances a server may fall back
        # to polling, as Dovecot does every 30 s)
        deadline = time.monotonic() + 60
        for i, r in enumerate(sessions):
            ex, _, _ = wait_kind(r, "EXISTS",
                                 max(1, deadline - time.monotonic()))
            assert ex.num == 1, i
        for r in sessions:
            idle_done(r)
    finally:
        for r in sessions:
            r.close()
        logout(w)


# -- 10,000 messages -------------------------------------------------------------
N = 10000


def big_message(i):
    if i % 10 == 0:
        return (b"From: Sender %d <s%d@example.test>\r\nTo: big@example.test"
                b"\r\nSubject: msg %05d\r\nMessage-ID: <%d@big>\r\n"
                b"Date: Thu, 1 Jan 2026 00:00:00 +0000\r\nMIME-Version: 1.0"
                b"\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
                b"--b\r\nContent-Type: text/plain\r\n\r\nbody %d\r\n--b\r\n"
                b"Content-Type: application/octet-stream\r\n"
                b"Content-Transfer-Encoding: base64\r\n\r\nAAAA\r\n--b--\r\n"
                % (i % 50, i % 50, i, i, i))
    return (b"From: Sender %d <s%d@example.test>\r\nTo: big@example.test\r\n"
            b"Subject: msg %05d\r\nMessage-ID: <%d@big>\r\n"
            b"Date: Thu, 1 Jan 2026 00:00:00 +0000\r\n\r\n" % (
                i % 50, i % 50, i, i) + b"line of the body\r\n" * (i % 20))


def timed(what, fn, limit=60):
    t0 = time.monotonic()
    out = fn()
    took = time.monotonic() - t0
    print("%s: %.2f s" % (what, took))
    assert took < limit, (what, took)
    return out


def fill(r, box, n, window=250):
    """APPEND n messages pipelined with LITERAL+ in one connection."""
    done = 0
    while done < n:
        k = min(window, n - done)
        data = b"".join(
            b"f%d APPEND %s {%d+}\r\n%s\r\n" % (
                done + j, box.encode(), len(big_message(done + j)),
                big_message(done + j)) for j in range(k))
        r.send(data)
        for j in range(k):
            t, un = r.until_tagged("f%d" % (done + j), 120)
            assert t.kind == "OK", t
            assert not [x for x in un if x.kind == "+"]
        done += k


def test_ten_thousand_messages(srv):
    r = raw_session(srv, user=BIG)
    try:
        box = "big"
        r.ok("CREATE %s" % box)
        timed("fill %d (pipelined LITERAL+ APPEND)" % N,
              lambda: fill(r, box, N), 600)
        un = timed("SELECT", lambda: r.ok("SELECT %s" % box))
        assert [x.num for x in un if x.kind == "EXISTS"] == [N]
        un = timed("FETCH 1:* (FLAGS)", lambda: r.ok("FETCH 1:* (FLAGS)"))
        f = [x for x in un if x.kind == "FETCH"]
        assert [x.num for x in f] == list(range(1, N + 1))
        for round_ in (1, 2):
            un = timed("FETCH 1:* (ENVELOPE BODYSTRUCTURE) #%d" % round_,
                       lambda: r.ok("FETCH 1:* (ENVELOPE BODYSTRUCTURE)"))
            f = [x for x in un if x.kind == "FETCH"]
            assert len(f) == N
        for x in (f[0], f[777], f[N - 1]):
            d = x.fetch()
            i = x.num - 1
            assert d["ENVELOPE"][1] == b"msg %05d" % i
            bs = d["BODYSTRUCTURE"]
            if i % 10 == 0:
                assert isinstance(bs[0], list) and isinstance(bs[1], list)
            else:
                assert bs[0].lower() == b"text"
        un = timed("SEARCH SUBJECT", lambda: r.ok('SEARCH SUBJECT "msg 00777"'))
        assert [x.data for x in un if x.kind == "SEARCH"] == [["778"]]
        un = timed("SEARCH FROM", lambda: r.ok("SEARCH FROM s7@example.test"))
        hits = [x for x in un if x.kind == "SEARCH"][0].data
        assert len(hits) == N // 50
        timed("STORE 1:* +FLAGS.SILENT (\\Seen)",
              lambda: r.ok("STORE 1:* +FLAGS.SILENT (\\Seen)"))
        un = r.ok("SEARCH UNSEEN")
        assert [x.data for x in un if x.kind == "SEARCH"] == [[]]
        timed("STORE 1:%d +FLAGS.SILENT (\\Deleted)" % (N // 2),
              lambda: r.ok("STORE 1:%d +FLAGS.SILENT (\\Deleted)" % (N // 2)))
        un = timed("EXPUNGE half", lambda: r.ok("EXPUNGE"))
        ex = [x.num for x in un if x.kind == "EXPUNGE"]
        assert len(ex) == N // 2
        left = list(range(1, N + 1))
        for n in ex:
            del left[n - 1]
        assert left == list(range(N // 2 + 1, N + 1))
        r.ok("UNSELECT")
        un = r.ok("STATUS %s (MESSAGES UNSEEN)" % box)
        st = [x for x in un if x.kind == "STATUS"][0].data[1]
        assert [s.upper() if isinstance(s, str) else s for s in st] == \
            ["MESSAGES", str(N // 2), "UNSEEN", "0"]
        r.ok("EXAMINE %s" % box)
        un = r.ok("FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        v = list(un[0].fetch().values())[0]
        assert v == b"Subject: msg %05d\r\n\r\n" % (N // 2)
    finally:
        r.close()
