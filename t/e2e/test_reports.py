"""Reports are sent exactly once, and a command is never run twice.

A report (bounce, delay notice, success notice, a note to the
postmaster) is recorded in the entry's status file before it is
submitted and confirmed after; cleanup queues one report ID once.  So a
report cleanup could not take is sent later, and one submitted just
before a crash is not sent again: kill -9 of qmgr and cleanup under a
load of bouncing mail leaves exactly one report per message.  A |command
is recorded as started before it runs; one whose outcome is unknown
after a restart is not run again (unless its alias says :repeat:), and
the postmaster is told."""
import collections
import os
import re

import pytest

from killer import Killer, Senders
from roost import Roost, wait_for
from test_delivery import (add_user, mailbox, marked, newaliases, send,
                           set_conf, status_records)
from test_retry import reports

SLOW = ("echo start >> %s/%s.log; sleep 8; echo end >> %s/%s.log")


@pytest.fixture(scope="module")
def inst():
    if os.geteuid() != 0:
        pytest.skip("pipe's account switching needs root")
    r = Roost()
    try:
        r.start()
        set_conf(r, "minimal_backoff_time = 1s\n"
                    "maximal_backoff_time = 2s\n"
                    "delay_warning_time = 0\n"
                    "maximal_queue_lifetime = 1h\n"
                    "queue_run_delay = 1s\n", "qmgr")
        for u in ("alice", "bob"):
            add_user(r, u)
        box = r.path("box")
        os.mkdir(box)
        os.chmod(box, 0o1777)
        os.chmod(r.dir, 0o711)
        with open(r.path("etc", "aliases"), "w") as f:
            f.write("postmaster: alice\n"
                    "halfstale: bob, nosuchuser, \"|exit 75\"\n"
                    "slow: \"|%s\"\n"
                    "slowrepeat: \":repeat:|%s\"\n"
                    % (SLOW % (box, "slow", box, "slow"),
                       SLOW % (box, "rep", box, "rep")))
        newaliases(r)
        yield r
    finally:
        r.finish()


def runs(r, name):
    try:
        with open(r.path("box", name + ".log")) as f:
            return f.read().split().count("start")
    except FileNotFoundError:
        return 0


def notices(r, marker):
    """The postmaster's notes about marker's message."""
    return [m for m in marked(r, "alice", marker)
            if b"Subject: Postmaster notify: command outcome unknown" in m]


def new_entry(r, state, before):
    now = set(os.listdir(r.path("queue", state)))
    new = now - before
    return new.pop() if len(new) == 1 else None


def test_failed_target_reported_once_though_cleanup_was_down(inst):
    """A member of a list fails while another member is retried: the
    sender hears of it once, though cleanup was down when it failed."""
    inst.service("qmgr", False)
    before = set(os.listdir(inst.path("queue", "incoming")))
    m = send(inst, "alice@localhost", ["halfstale@localhost"])
    qid = new_entry(inst, "incoming", before)
    assert qid
    inst.service("cleanup", False)
    try:
        inst.service("qmgr", True)
        # recorded, not confirmed: cleanup was not there to take it
        wait_for(lambda: any("report" in x for x in
                             status_records(inst, qid)), 20)
        assert not any("reported" in x for x in status_records(inst, qid))
        wait_for(lambda: "cannot send a notification" in inst.log("qmgr"),
                 10)
    finally:
        inst.service("cleanup", True)
    wait_for(lambda: reports(inst, "alice", m, "failed"), 30)
    got = reports(inst, "alice", m, "failed")
    assert "nosuchuser" in got[0].as_string()
    # three more runs of the entry (the command still defers): no more
    n = inst.log("qmgr").count("%s: to=<|exit 75>" % qid)
    wait_for(lambda: inst.log("qmgr").count("%s: to=<|exit 75>" % qid)
             >= n + 3, 30)
    assert len(reports(inst, "alice", m, "failed")) == 1
    assert len(marked(inst, "bob", m)) == 1
    recs = status_records(inst, qid)
    assert [x.get("version") for x in recs if "version" in x] == ["2"]
    assert len([x for x in recs if "reported" in x]) == 1


def test_command_running_at_restart_is_not_run_again(inst):
    m = send(inst, "bob@localhost", ["slow@localhost"])
    wait_for(lambda: runs(inst, "slow") == 1, 20)
    inst.ctl("restart", "qmgr")    # waits 5 s; the command runs on
    wait_for(lambda: notices(inst, m), 30)
    wait_for(lambda: "outcome unknown" in inst.log("qmgr"), 10)
    note = notices(inst, m)[0]
    assert b"|echo start" in note and b"slow@localhost" in note
    wait_for(lambda: open(inst.path("box", "slow.log")).read().count("end")
             or "slow" in inst.log("pipe"), 20)
    assert runs(inst, "slow") == 1
    assert len(notices(inst, m)) == 1


def test_repeat_command_is_run_again(inst):
    m = send(inst, "bob@localhost", ["slowrepeat@localhost"])
    wait_for(lambda: runs(inst, "rep") == 1, 20)
    inst.ctl("restart", "qmgr")
    wait_for(lambda: runs(inst, "rep") == 2, 30)
    assert not notices(inst, m)


def test_version_1_status_file_taken_over(fresh):
    """An entry deferred by the code before status files had version 2
    (t/e2e/data/queue-v1): finished without a second copy for bob or a
    second report of nosuchuser."""
    data = os.path.join(os.path.dirname(__file__), "data", "queue-v1")
    with open(os.path.join(data, "qid")) as f:
        qid = f.read().strip()
    started(fresh, ("alice", "bob"),
            "halfstale: bob, nosuchuser, \"|exit 0\"\n")
    fresh.service("qmgr", False)
    for src, dst in (("entry", "deferred"), ("status", "status")):
        d = fresh.path("queue", dst)
        st = os.stat(d)
        path = os.path.join(d, qid)
        with open(os.path.join(data, src), "rb") as f, \
                open(path, "wb") as out:
            out.write(f.read())
        os.chown(path, st.st_uid, st.st_gid)
        os.chmod(path, 0o640)
    assert [x.get("version") for x in status_records(fresh, qid)
            if "version" in x] == ["1"]
    fresh.service("qmgr", True)
    fresh.ctl("queue", "flush")
    wait_for(lambda: "%s: removed" % qid in fresh.log("qmgr"), 30)
    log = fresh.log("qmgr")
    assert "%s: to=<|exit 0>" % qid in log
    assert "notification" not in log     # nosuchuser was reported before
    assert mailbox(fresh, "bob") == [] and mailbox(fresh, "alice") == []
    assert not [x for x in log.splitlines() if ": error: " in x]


# -- kill -9 under load --------------------------------------------------
MESSAGES = 500
THREADS = 4


def message(n):
    # a message sent again after a lost answer is another entry (and
    # another report); bob stores it once by its Message-ID
    return "ann@localhost", ["stale@localhost"], (
        "From: ann@localhost\r\nTo: stale@localhost\r\n"
        "Subject: bounce %d\r\nMessage-ID: <m%d@test>\r\n"
        "Date: Mon, 7 Dec 2026 12:00:00 +0000\r\n"
        "X-Test: m%d\r\n\r\nbody %d\r\n" % (n, n, n, n))


def started(r, users, aliases):
    """r started with short retries, users and aliases in place."""
    r.start()
    set_conf(r, "minimal_backoff_time = 1s\n"
                "maximal_backoff_time = 2s\n"
                "queue_run_delay = 1s\n", "qmgr")
    for u in users:
        add_user(r, u)
    with open(r.path("etc", "aliases"), "w") as f:
        f.write(aliases)
    newaliases(r)


def delivered(r, user):
    d = r.path("store", "u", user, "msg")
    return len(os.listdir(d)) if os.path.isdir(d) else 0


def test_kill9_qmgr_and_cleanup_every_report_once(fresh):
    """Every message to stale bounces for one member: ann gets one
    report per message and bob one copy, whatever was killed when."""
    started(fresh, ("ann", "bob"), "stale: bob, nosuchuser\n")
    load = Senders(fresh, MESSAGES, THREADS, message)
    acked = load.acked
    killer = Killer(fresh, {"qmgr": ("master",),
                            "cleanup": ("master", "worker")},
                    every=(20, 40))

    def drained():
        return not any(os.listdir(fresh.path("queue", s))
                       for s in ("incoming", "active", "deferred"))
    try:
        killer.run(progress=lambda: len(acked) + delivered(fresh, "ann") +
                   delivered(fresh, "bob"),
                   finished=lambda: not load.busy() and drained(),
                   total=3 * MESSAGES)
    finally:
        load.stop()
    killer.require(at_least=2)
    assert len(acked) == MESSAGES
    wait_for(drained, 120, step=0.5)
    # one report per queue entry of the original (a client that lost
    # cleanup's answer sends again: another entry), one for each message
    per_entry, per_msg = collections.Counter(), collections.Counter()
    for raw in mailbox(fresh, "ann"):
        assert b"multipart/report" in raw, raw[:300]
        m = re.search(rb"X-Test: m(\d+)", raw)
        q = re.search(rb"X-Roost-Queue-ID: (\w+)", raw)
        assert m and q, raw[:300]
        per_entry[q.group(1).decode()] += 1
        per_msg[int(m.group(1))] += 1
    copies = collections.Counter(
        int(re.search(rb"X-Test: m(\d+)", raw).group(1))
        for raw in mailbox(fresh, "bob"))
    errors = [x for x in fresh.log("qmgr").splitlines() if ": error: " in x]
    assert not errors, errors[:5]
    assert not [n for n in acked if per_msg[n] == 0], "reports lost"
    twice = [q for q in per_entry if per_entry[q] > 1]
    assert not twice, "reports sent twice: %r\n%s" % (twice[:5], "".join(
        line + "\n" for svc in ("qmgr", "cleanup")
        for line in fresh.log(svc).splitlines() if twice[0] in line))
    assert not [n for n in acked if copies[n] != 1]
    # the claims go with the entries they were for
    wait_for(lambda: not os.listdir(fresh.path("queue", "reports")), 30)
