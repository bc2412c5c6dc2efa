"""More sessions in IDLE than one account may have inotify instances
(fs.inotify.max_user_instances, 128 on Debian; every imapd worker runs
as the store's owner): each one must still log in, and hear of a new
message in its mailbox within 100 ms."""
import socket
import time

from test_delivery import add_user, set_conf

USERS = 8
PER_USER = 20          # 160 sessions in all


def _read_until(f, pred, what):
    while True:
        line = f.readline()
        assert line, "connection closed waiting for %s" % what
        if pred(line):
            return line


def _idle(port, user):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    f = s.makefile("rb")
    f.readline()
    s.sendall(b"a LOGIN %s secret\r\nb SELECT INBOX\r\nc IDLE\r\n" %
              user.encode())
    line = _read_until(f, lambda l: l.startswith((b"+", b"a NO", b"b NO",
                                                 b"c BAD")), "IDLE")
    assert line.startswith(b"+"), line
    return s, f


def test_more_idle_sessions_than_inotify_instances(fresh):
    fresh.start()
    set_conf(fresh, "imapd_user_sessions = %d\nimapd_ip_sessions = 500\n" % (
             PER_USER + 1), "imapd")
    users = ["idle%d@example.test" % i for i in range(USERS)]
    for u in users:
        add_user(fresh, u, "secret")
    port = fresh.port("imap")
    sessions = [(u, _idle(port, u)) for u in users for _ in range(PER_USER)]
    worst = 0.0
    try:
        for u in users:
            w = socket.create_connection(("127.0.0.1", port), timeout=30)
            f = w.makefile("rb")
            f.readline()
            w.sendall(b"a LOGIN %s secret\r\n" % u.encode())
            _read_until(f, lambda l: l.startswith(b"a "), "LOGIN")
            msg = b"Subject: ping\r\n\r\nhello\r\n"
            w.sendall(b"b APPEND INBOX {%d+}\r\n%s\r\n" % (len(msg), msg))
            _read_until(f, lambda l: l.startswith(b"b OK"), "APPEND")
            done = time.monotonic()
            for owner, (s, sf) in sessions:
                if owner != u:
                    continue
                _read_until(sf, lambda l: l.endswith(b"EXISTS\r\n"),
                            "EXISTS")
                worst = max(worst, time.monotonic() - done)
            w.close()
        print("worst wake-up after the APPEND: %.1f ms" % (worst * 1000))
        # Each session's EXISTS is read in turn: the time measured for
        # one is at least its own wake-up.
        assert worst < 0.1
        for _, (s, sf) in sessions:
            s.sendall(b"DONE\r\n")
            _read_until(sf, lambda l: l.startswith(b"c "), "DONE")
    finally:
        for _, (s, _f) in sessions:
            s.close()
