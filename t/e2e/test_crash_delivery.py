"""Nothing acknowledged is lost or delivered twice on the way to the
mailbox: 2000 messages over SMTP while qmgr and lmtpd (master and
workers) are killed with SIGKILL again and again; once the queue has
drained, every acknowledged message is in each of its recipients'
mailboxes exactly once, and nothing else is.

The kills are tied to progress (killer.py): a step is a message
acknowledged or one that left the queue, and a kill comes every hundred
or so steps, each after the last killed master is back, while mail comes
in and on while it drains.
"""
import collections
import os
import re

from killer import Killer, Senders
from roost import wait_for
from test_delivery import (add_user, mailbox, queue_empty, queue_entries,
                           set_conf)

MESSAGES = 2000
THREADS = 6
USERS = ("ann", "ben", "cat", "dan")


def rcpts_of(n):
    """One user, every seventh message two."""
    first = USERS[n % len(USERS)]
    if n % 7 == 0:
        return [first, USERS[(n + 1) % len(USERS)]]
    return [first]


def message(n):
    to = ["%s@localhost" % u for u in rcpts_of(n)]
    return "load@localhost", to, (
        "From: load@localhost\r\nTo: %s\r\nSubject: crash %d\r\n"
        "X-Test: m%d\r\n\r\nbody %d\r\n" % (", ".join(to), n, n, n))


def queued(r):
    return sum(len(queue_entries(r, s))
               for s in ("incoming", "active", "deferred"))


def test_kill9_qmgr_and_lmtpd_under_load(fresh):
    fresh.start()
    set_conf(fresh, "minimal_backoff_time = 1s\n"
                    "maximal_backoff_time = 2s\n"
                    "queue_run_delay = 1s\n", "qmgr")
    for u in USERS:
        add_user(fresh, u)
    load = Senders(fresh, MESSAGES, THREADS, message)
    acked = load.acked
    killer = Killer(fresh, {"qmgr": ("master",),
                            "lmtpd": ("master", "worker")},
                    every=(100, 200))
    try:
        # a step: a message acknowledged, or one that left the queue
        killer.run(progress=lambda: 2 * len(acked) - queued(fresh),
                   finished=lambda: not load.busy() and
                   queue_empty(fresh),
                   total=2 * MESSAGES)
    finally:
        load.stop()
    killer.require(at_least=3)
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
