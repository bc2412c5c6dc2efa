"""Nothing acknowledged is lost or delivered twice on the way to the
mailbox: 2000 messages over SMTP while qmgr and lmtpd (master and
workers) are killed with SIGKILL again and again; once the queue has
drained, every acknowledged message is in each of its recipients'
mailboxes exactly once, and nothing else is."""
import collections
import os
import random
import re
import signal
import smtplib
import threading
import time

from roost import children, wait_for
from test_delivery import add_user, mailbox, queue_empty, set_conf

MESSAGES = 2000
THREADS = 6
USERS = ("ann", "ben", "cat", "dan")


def rcpts_of(n):
    """One user, every seventh message two."""
    first = USERS[n % len(USERS)]
    if n % 7 == 0:
        return [first, USERS[(n + 1) % len(USERS)]]
    return [first]


def send_all(r, todo, acked, lock):
    while True:
        with lock:
            if not todo:
                return
            n = todo.pop()
        to = ["%s@localhost" % u for u in rcpts_of(n)]
        msg = ("From: load@localhost\r\nTo: %s\r\nSubject: crash %d\r\n"
               "X-Test: m%d\r\n\r\nbody %d\r\n" % (", ".join(to), n, n, n))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with smtplib.SMTP("127.0.0.1", r.port("smtp"),
                                  timeout=30) as s:
                    s.sendmail("load@localhost", to, msg.encode())
                with lock:
                    acked.add(n)
                break
            except (smtplib.SMTPException, OSError):
                time.sleep(0.05)   # not acknowledged: try again


def test_kill9_qmgr_and_lmtpd_under_load(fresh):
    fresh.start()
    set_conf(fresh, "minimal_backoff_time = 1s\n"
                    "maximal_backoff_time = 2s\n"
                    "queue_run_delay = 1s\n", "qmgr")
    for u in USERS:
        add_user(fresh, u)
    todo = list(range(MESSAGES))
    random.shuffle(todo)
    acked, lock = set(), threading.Lock()
    workers = [threading.Thread(target=send_all,
                                args=(fresh, todo, acked, lock))
               for _ in range(THREADS)]
    for w in workers:
        w.start()
    kills = collections.Counter()
    # kill while mail comes in, and on while it drains, until both
    # have had their share
    while any(w.is_alive() for w in workers) or (
            min(kills["qmgr"], kills["lmtpd"]) < 8 and
            not queue_empty(fresh)):
        time.sleep(random.uniform(0.1, 0.25))
        st = fresh.status()
        svc = random.choice(("qmgr", "lmtpd"))
        pid = st.get(svc)
        if not pid:
            continue
        # lmtpd: sometimes the master, sometimes a busy worker
        victims = children(pid) if svc == "lmtpd" and \
            random.random() < 0.5 else []
        victim = random.choice(victims) if victims else pid
        try:
            os.kill(victim, signal.SIGKILL)
            kills[svc] += 1
        except ProcessLookupError:
            pass
    for w in workers:
        w.join()
    assert kills["qmgr"] >= 3 and kills["lmtpd"] >= 3, kills
    assert len(acked) == MESSAGES

    wait_for(lambda: queue_empty(fresh), 120, step=0.5)
    wait_for(lambda: not os.listdir(fresh.path("queue", "status")), 30,
             step=0.5)
    want = collections.Counter()
    for n in acked:
        for u in rcpts_of(n):
            want[(u, n)] += 1
    got, qids = collections.Counter(), {}
    for u in USERS:
        for raw in mailbox(fresh, u):
            m = re.search(rb"X-Test: m(\d+)", raw)
            assert m, "a message nobody sent in %s's mailbox:\n%r" % (
                u, raw[:400])
            got[(u, int(m.group(1)))] += 1
            q = re.search(rb" id (\w+)", raw)
            qids[(u, int(m.group(1)))] = q.group(1).decode() if q else "?"
    missing = [k for k in want if got[k] == 0]
    twice = [k for k in got if got[k] > 1]
    extra = [k for k in got if k not in want]
    # a torn status record is normal after kill -9; damage is not
    errors = [x for x in fresh.log("qmgr").splitlines() if ": error: " in x]
    assert not errors, errors[:5]
    assert not missing, "lost: %r" % missing[:10]
    assert not twice, "delivered twice: %r\n%s" % (twice[:10], "".join(
        line + "\n" for svc in ("qmgr", "lmtpd")
        for line in fresh.log(svc).splitlines()
        if twice and qids[twice[0]] in line))
    assert not extra, "never sent: %r" % extra[:10]
