"""Nothing answered 250 is ever lost: kill -9 smtpd and cleanup, masters
and busy workers, again and again under load, then every acknowledged
queue ID must be in the queue exactly once, and no entry may be partial.

The kills are tied to progress (killer.py): one every few dozen
acknowledged messages, each after the last killed master is back, so the
run ends on any machine, and fails with a diagnosis if it stops moving.
"""
import os
import re
import smtplib
import subprocess
import threading

import pytest

import queuefile
from killer import Killer, Stalled

MESSAGES = 2000
THREADS = 8


def send_all(roost, todo, acked, lock, stop):
    while not stop.is_set():
        with lock:
            if not todo:
                return
            n = todo.pop()
        msg = ("From: load@localhost\r\nTo: root@localhost\r\n"
               "Subject: crash %d\r\nX-Marker: m%d\r\n\r\nbody %d\r\n"
               % (n, n, n))
        while not stop.is_set():
            try:
                s = smtplib.SMTP("127.0.0.1", roost.port("smtp"),
                                 timeout=10)
                s.ehlo("load.example")
                s.mail("load@localhost")
                s.rcpt("root@localhost")
                code, resp = s.data(msg.encode())
                if code == 250:
                    qid = re.search(rb"queued as (\w+)", resp).group(1)
                    with lock:
                        acked[qid.decode()] = n
                try:
                    s.quit()
                except (smtplib.SMTPException, OSError):
                    pass
                if code == 250:
                    break
            except (smtplib.SMTPException, OSError):
                pass    # not acknowledged: try again, as a client would
            stop.wait(0.02)


def test_kill9_under_load_loses_nothing(fresh):
    fresh.start()
    # This is about the queue; test_crash_delivery kills qmgr and lmtpd.
    fresh.service("qmgr", False)
    todo = list(range(MESSAGES))
    acked, lock, stop = {}, threading.Lock(), threading.Event()
    workers = [threading.Thread(target=send_all,
                                args=(fresh, todo, acked, lock, stop))
               for _ in range(THREADS)]
    for w in workers:
        w.start()
    killer = Killer(fresh, {"smtpd": ("master", "worker"),
                             "cleanup": ("master", "worker")},
                    every=(50, 110))
    try:
        killer.run(progress=lambda: len(acked),
                   finished=lambda: not any(w.is_alive() for w in workers),
                   total=MESSAGES)
    finally:
        stop.set()
        for w in workers:
            w.join(30)
    killer.require(at_least=2)
    # Clients retry until they get a 250, as real ones do.
    assert sorted(acked.values()) == list(range(MESSAGES))

    incoming = fresh.path("queue", "incoming")
    entries = {}
    for name in os.listdir(incoming):
        e = queuefile.read(os.path.join(incoming, name))   # no partials
        m = re.search(rb"X-Marker: m(\d+)", e["content"])
        entries[name] = int(m.group(1))
    for qid, n in acked.items():
        assert entries.get(qid) == n, "acknowledged %s (m%d) missing" % (
            qid, n)
    # tmp/ holds only what a killed cleanup left unfinished; none of it
    # was acknowledged, and none of it is in incoming/.
    assert not set(os.listdir(fresh.path("queue", "tmp"))) & set(entries)


def test_a_run_that_stops_moving_fails_with_a_diagnosis(fresh):
    """The kill loop's own deadline: no progress, or a killed master
    that does not come back, ends the run with what was down."""
    fresh.start()
    fresh.service("cleanup", False)
    killer = Killer(fresh, {"smtpd": ("master",)}, every=(1, 1), stall=2,
                    restart=3)
    with pytest.raises(Stalled) as e:
        killer.run(progress=lambda: 0, finished=lambda: False, total=10)
    text = str(e.value)
    assert text.startswith("no progress for 2s: progress 0 of 10"), text
    assert any(x.split()[:2] == ["cleanup", "down"]
               for x in text.splitlines()[1:]), text

    # smtpd killed once more, with s6 told not to restart it
    subprocess.run(["s6-svc", "-O", fresh.path("run", "service", "smtpd")],
                   check=True, timeout=10)
    steps = iter(range(1000))
    with pytest.raises(Stalled) as e:
        killer.run(progress=lambda: next(steps), finished=lambda: False,
                   total=10)
    assert "smtpd not back within 3s of its kill" in str(e.value)
    assert "killed smtpd master" in str(e.value)
