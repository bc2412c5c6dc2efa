"""Nothing answered 250 is ever lost: kill -9 smtpd and cleanup again and
again under load, then every acknowledged queue ID must be in the queue
exactly once, and no entry may be partial."""
import os
import random
import re
import signal
import smtplib
import threading
import time

import queuefile
from roost import children

MESSAGES = 2000
THREADS = 8


def send_all(roost, todo, acked, lock):
    while True:
        with lock:
            if not todo:
                return
            n = todo.pop()
        msg = ("From: load@localhost\r\nTo: root@localhost\r\n"
               "Subject: crash %d\r\nX-Marker: m%d\r\n\r\nbody %d\r\n"
               % (n, n, n))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                s = smtplib.SMTP("127.0.0.1", roost.port("smtp"),
                                 timeout=30)
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
            time.sleep(0.02)


def test_kill9_under_load_loses_nothing(fresh):
    fresh.start()
    # This is about the queue; test_crash_delivery kills qmgr and lmtpd.
    fresh.service("qmgr", False)
    todo = list(range(MESSAGES))
    acked, lock = {}, threading.Lock()
    workers = [threading.Thread(target=send_all,
                                args=(fresh, todo, acked, lock))
               for _ in range(THREADS)]
    for w in workers:
        w.start()
    kills = 0
    while any(w.is_alive() for w in workers):
        time.sleep(random.uniform(0.05, 0.15))
        st = fresh.status()
        for svc in ("smtpd", "cleanup"):
            pid = st.get(svc)
            if not pid:
                continue
            # Sometimes the master, sometimes a busy worker.
            victims = children(pid) if random.random() < 0.5 else []
            victim = random.choice(victims) if victims else pid
            try:
                os.kill(victim, signal.SIGKILL)
                kills += 1
            except ProcessLookupError:
                pass
    for w in workers:
        w.join()
    assert kills >= 6
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
