"""smtpd at its default limits: a 25 MB message, 100 sessions at once."""
import re
import smtplib
import threading

LIMIT = 25 * 1024 * 1024        # message_size_limit = 25m


def message(size):
    """A message of exactly size octets as sent (CRLF line ends, no line
    starting with a dot, so dot-stuffing adds nothing)."""
    head = b"From: a@localhost\r\nTo: root@localhost\r\nSubject: big\r\n\r\n"
    line = b"x" * 998 + b"\r\n"
    body = line * ((size - len(head)) // len(line))
    rest = size - len(head) - len(body)
    if rest:
        body += b"y" * (rest - 2) + b"\r\n"
    msg = head + body
    assert len(msg) == size
    return msg


def test_25mb_accepted_and_one_more_octet_refused(roost):
    s = smtplib.SMTP("127.0.0.1", roost.port("smtp"), timeout=120)
    s.ehlo("big.example")
    assert s.esmtp_features["size"] == str(LIMIT)
    s.mail("a@localhost")
    s.rcpt("root@localhost")
    code, resp = s.data(message(LIMIT))
    assert code == 250 and b"queued as" in resp
    s.mail("a@localhost")
    s.rcpt("root@localhost")
    code, resp = s.data(message(LIMIT + 1))
    assert code == 552 and resp.startswith(b"5.3.4")
    # Announced sizes are checked at MAIL already.
    code, resp = s.mail("a@localhost", ["SIZE=%d" % (LIMIT + 1)])
    assert code == 552
    s.quit()


def test_100_concurrent_sessions(roost):
    results, lock = [], threading.Lock()
    start = threading.Barrier(100)

    def one(n):
        try:
            s = smtplib.SMTP("127.0.0.1", roost.port("smtp"), timeout=60)
            s.ehlo("c%d.example" % n)
            start.wait(timeout=60)      # all 100 sessions open at once
            s.mail("a@localhost")
            s.rcpt("root@localhost")
            code, resp = s.data(b"Subject: %d\r\n\r\nhello\r\n" % n)
            s.quit()
            r = (code, re.search(rb"queued as (\w+)", resp).group(1))
        except Exception as e:          # reported below
            r = (0, repr(e))
        with lock:
            results.append(r)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(100)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r for r in results if r[0] != 250] == []
    assert len({r[1] for r in results}) == 100     # 100 distinct queue IDs
