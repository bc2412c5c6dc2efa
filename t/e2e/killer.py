"""kill -9 under load, on a schedule tied to progress.

The crash tests kill daemons while clients push mail through them. A
loop that kills on a clock starves itself on a slow machine: every kill
of a master costs a restart (s6-supervise waits a second before it
restarts a service that died within a second of starting), and if kills
come faster than restarts, nothing moves. So here a kill comes only
after the load has made `every` more steps of progress, and the next
waits until the killed service is up and ready again. A run that stops
making progress, or outlives its deadline, fails with a diagnosis: how
far it got, what was killed, and which service was down.

Each kill is of a master or of one of its workers (the busy ones, under
this load), in a shuffled plan that gives every (service, kind) pair
its share, so both kinds of death are certain to happen in every run.
"""
import collections
import os
import random
import signal
import smtplib
import subprocess
import threading
import time

from roost import children


class Stalled(AssertionError):
    pass


class Killer:
    def __init__(self, r, services, every=(40, 100), deadline=240,
                 stall=60, restart=30):
        """services: {name: kinds}, kinds a tuple of "master" and
        "worker" (a busy child of the master). The deadline is shorter
        than pytest's per-test timeout (t/e2e/pytest.ini), so that a
        slow run ends with this diagnosis rather than a bare timeout."""
        self.r = r
        self.services = services
        self.every = every          # steps of progress between kills
        self.deadline = deadline    # seconds for the whole run
        self.stall = stall          # seconds without progress
        self.restart = restart      # seconds for a master to come back
        self.kills = collections.Counter()     # (service, kind)
        self.history = []           # (seconds, service, kind, progress)
        self.plan = []
        self.t0 = time.monotonic()

    # -- the loop -------------------------------------------------------
    def run(self, progress, finished, total):
        """Kill until finished() is true. progress() counts steps done
        (it must grow as the load moves); total is what a finished run
        reaches, for the diagnosis."""
        self.total = total
        self.progress = progress
        last, last_t = progress(), time.monotonic()
        next_at = last + random.randint(*self.every)
        while not finished():
            n = progress()
            now = time.monotonic()
            if n != last:
                last, last_t = n, now
            if now - last_t > self.stall:
                self.fail("no progress for %ds" % self.stall)
            if now - self.t0 > self.deadline:
                self.fail("not finished within %ds" % self.deadline)
            if n < next_at:
                time.sleep(0.01)
                continue
            # somewhere in the middle of whatever is under way
            time.sleep(random.uniform(0, 0.02))
            self.kill_one()
            next_at = progress() + random.randint(*self.every)

    def kill_one(self):
        if not self.plan:
            self.plan = [(s, k) for s, kinds in self.services.items()
                         for k in kinds]
            random.shuffle(self.plan)
        svc, kind = self.plan.pop()
        pid = self.ready_pid(svc)
        victim = pid
        if kind == "worker":
            workers = children(pid)
            if workers:
                victim = random.choice(workers)
            else:
                kind = "master"     # between a master's start and forks
        try:
            os.kill(victim, signal.SIGKILL)
        except ProcessLookupError:
            return
        self.kills[(svc, kind)] += 1
        self.history.append((time.monotonic() - self.t0, svc, kind,
                             self.progress()))
        if kind == "master":
            self.wait_restarted(svc, pid)

    # -- the supervisor's view ------------------------------------------
    def svstat(self, svc):
        """(up, ready, pid) of a service, from s6-svstat."""
        d = self.r.path("run", "service", svc)
        out = subprocess.run(["s6-svstat", "-o", "up,ready,pid", d],
                             capture_output=True, text=True,
                             timeout=10).stdout.split()
        if len(out) != 3:
            return False, False, 0
        return out[0] == "true", out[1] == "true", int(out[2])

    def ready_pid(self, svc):
        """The pid of svc once it is up and ready."""
        deadline = time.monotonic() + self.restart
        while True:
            up, ready, pid = self.svstat(svc)
            if up and ready and pid > 0:
                return pid
            if time.monotonic() > deadline:
                self.fail("%s not up and ready within %ds" % (
                    svc, self.restart))
            time.sleep(0.02)

    def wait_restarted(self, svc, old):
        """Wait until s6 has restarted svc under a new pid and the new
        master has said it is ready: never kill faster than that."""
        deadline = time.monotonic() + self.restart
        while True:
            up, ready, pid = self.svstat(svc)
            if up and ready and pid not in (0, old):
                return
            if time.monotonic() > deadline:
                self.fail("%s not back within %ds of its kill" % (
                    svc, self.restart))
            time.sleep(0.02)

    # -- what went wrong ------------------------------------------------
    def require(self, at_least=1):
        """Every (service, kind) pair was killed at least at_least times."""
        print("killer: %d kills in %.1fs: %r" % (
            sum(self.kills.values()), time.monotonic() - self.t0,
            dict(self.kills)))
        short = {(s, k): self.kills[(s, k)]
                 for s, kinds in self.services.items() for k in kinds
                 if self.kills[(s, k)] < at_least}
        assert not short, "too few kills: %r of %r" % (short,
                                                       dict(self.kills))

    def fail(self, why):
        raise Stalled(self.diagnosis(why))

    def diagnosis(self, why):
        lines = ["%s: progress %d of %d after %.1fs, %d kills %s" % (
            why, self.progress(), self.total,
            time.monotonic() - self.t0, sum(self.kills.values()),
            dict(self.kills))]
        for s in self.r.status_lines():
            lines.append("  " + s)
        for t, svc, kind, n in self.history[-5:]:
            lines.append("  killed %s %s at %.1fs (progress %d)" % (
                svc, kind, t, n))
        for svc in self.services:
            tail = self.r.log(svc).splitlines()[-5:]
            lines.extend("  %s: %s" % (svc, x) for x in tail)
        return "\n".join(lines)


class Senders:
    """The load the kills run under: threads sending messages 0..count-1
    over SMTP in random order, each retried until it is acknowledged
    (a refused or broken session was not).  message(n) gives (sender,
    recipients, text); acked holds the acknowledged n."""

    def __init__(self, r, count, threads, message):
        self.r, self.message = r, message
        self.todo = list(range(count))
        random.shuffle(self.todo)
        self.acked = set()
        self.lock = threading.Lock()
        self.stop_ = threading.Event()
        self.workers = [threading.Thread(target=self._run)
                        for _ in range(threads)]
        for w in self.workers:
            w.start()

    def _run(self):
        while not self.stop_.is_set():
            with self.lock:
                if not self.todo:
                    return
                n = self.todo.pop()
            sender, to, msg = self.message(n)
            while not self.stop_.is_set():
                try:
                    with smtplib.SMTP("127.0.0.1", self.r.port("smtp"),
                                      timeout=10) as s:
                        s.sendmail(sender, to, msg.encode())
                    with self.lock:
                        self.acked.add(n)
                    break
                except (smtplib.SMTPException, OSError):
                    self.stop_.wait(0.05)   # not acknowledged: again

    def busy(self):
        return any(w.is_alive() for w in self.workers)

    def stop(self):
        self.stop_.set()
        for w in self.workers:
            w.join(30)
