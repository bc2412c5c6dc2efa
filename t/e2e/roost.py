"""Start, drive and stop a roost instance for end-to-end tests.

Each instance lives in its own temporary directory with its own port
base, so tests (and developers' own instances) can run side by side.
"""
import atexit
import os
import random
import glob
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
BIN = os.environ.get("ROOST_BIN") or os.path.join(TOP, "bin")
SERVICES = ["cleanup", "qmgr", "lmtpd", "pipe", "authd", "smtpd", "imapd",
            "popd", "imap-login",
            "pop3-login"]
# What test instances ask DNS: a loopback port where nothing listens, so
# every lookup fails at once (the port unreachable) and no query ever
# leaves the machine; smtpd's Received then says "unknown", as it would
# with DNS down.  Tests of DNS itself start their own server
# (dnsserver.py) and point dns_servers at it.
DNS_NOWHERE = "127.0.0.1:1"
# Embedded ports at the default port base 10000.
PORTS = {"smtp": 10025, "submission": 10587, "smtps": 10465,
         "imap": 10143, "imaps": 10993, "pop3": 10110, "pop3s": 10995,
         "managesieve": 14190}


def _free(port):
    s = socket.socket()
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def pick_port_base():
    """A port base whose ports are all free right now."""
    for _ in range(200):
        base = random.randrange(20000, 51000, 100)
        if all(_free(p - 10000 + base) for p in PORTS.values()):
            return base
    raise RuntimeError("no free port base")


class Roost:
    def __init__(self, directory=None, port_base=None):
        self.dir = directory or tempfile.mkdtemp(prefix="roost-e2e-")
        self.port_base = port_base or pick_port_base()

    # -- roostctl ---------------------------------------------------------
    def ctl(self, *args, check=True, timeout=120):
        if args and args[0] == "start" and not os.path.exists(self.conf):
            self.init()
        return self._ctl(*args, check=check, timeout=timeout)

    def init(self, dns_servers=DNS_NOWHERE):
        """Create the layout (roostctl init) and point its DNS at
        dns_servers, a loopback address: never the system's resolver."""
        self._ctl("init")
        with open(self.conf, "a") as f:
            f.write("\n# the tests' DNS (t/e2e/roost.py)\n"
                    "dns_servers = %s\n" % dns_servers)

    def _ctl(self, *args, check=True, timeout=120):
        cmd = [os.path.join(BIN, "roostctl"), "-d", self.dir,
               "--port-base", str(self.port_base), *args]
        r = subprocess.run(cmd, capture_output=True, text=True,
                           timeout=timeout, stdin=subprocess.DEVNULL)
        if check and r.returncode != 0:
            raise AssertionError("%s failed (%d):\n%s%s" % (
                " ".join(cmd), r.returncode, r.stdout, r.stderr))
        return r

    def start(self):
        return self.ctl("start")

    def add_user(self, name, password):
        """roostctl user add NAME with password on standard input."""
        subprocess.run([os.path.join(BIN, "roostctl"), "-d", self.dir,
                        "user", "add", name, "--password-stdin"],
                       input=password + "\n", text=True, check=True,
                       capture_output=True, timeout=60)

    def stop(self):
        r = self.ctl("stop", check=False)
        # Whatever happened, leave nothing running behind a test.
        for pid in self.procs():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return r

    def sanitizer_reports(self):
        """Log files in which a sanitizer build reported an error."""
        bad = []
        for f in glob.glob(self.path("log", "*", "current")) + \
                glob.glob(self.path("log", "*.log")):
            with open(f, errors="replace") as fh:
                text = fh.read()
            if "Sanitizer" in text or "runtime error:" in text:
                bad.append(f)
        return bad

    def finish(self):
        """Stop, fail on sanitizer reports, and remove the directory."""
        self.stop()
        bad = self.sanitizer_reports()
        if bad:
            raise AssertionError("sanitizer reports in " + ", ".join(bad))
        shutil.rmtree(self.dir, ignore_errors=True)

    def status(self):
        """{service: pid or None} from roostctl status."""
        result = {}
        for line in self.status_lines():
            m = re.match(r"(\S+)\s+up \(pid (\d+)\).*, ready$", line)
            if m:
                result[m.group(1)] = int(m.group(2))
            elif line.split() and line.split()[0] in SERVICES:
                result[line.split()[0]] = None
        return result

    def status_lines(self):
        """roostctl status as it prints it, a line a service."""
        return self.ctl("status", check=False, timeout=30).stdout.splitlines()

    def service(self, name, up):
        """Bring one service down (s6-svc -d, waiting until it is gone)
        or up again (waiting until it is ready)."""
        d = self.path("run", "service", name)
        subprocess.run(["s6-svc", "-u" if up else "-d", d], check=True)
        subprocess.run(["s6-svwait", "-t", "30000", "-U" if up else "-D",
                        d], check=True, timeout=40)

    # -- where things are ---------------------------------------------------
    def port(self, name):
        return PORTS[name] - 10000 + self.port_base

    @property
    def conf(self):
        return os.path.join(self.dir, "etc", "roost.conf")

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def log(self, service):
        try:
            with open(self.path("log", service, "current"),
                      errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def procs(self):
        """Every live process of this instance: by command line or by
        working directory inside the instance directory."""
        found = []
        me = os.getpid()
        for d in os.listdir("/proc"):
            if not d.isdigit() or int(d) == me:
                continue
            try:
                with open("/proc/%s/stat" % d) as f:
                    if f.read().rsplit(")", 1)[1].split()[0] in "ZX":
                        continue
                with open("/proc/%s/cmdline" % d, "rb") as f:
                    cmd = f.read().decode(errors="replace")
                cwd = os.readlink("/proc/%s/cwd" % d)
            except (OSError, IndexError):
                continue
            if self.dir in cmd or cwd == self.dir or \
                    cwd.startswith(self.dir + "/"):
                found.append(int(d))
        return found


_open_bin = None


def open_bin(*names):
    """A folder holding copies of the programs `names` that any user may
    run. Tests that run a program as another user must not depend on
    where the tree is: a clone in root's home (mode 700 on Debian) keeps
    bin/ from everyone else."""
    global _open_bin
    if _open_bin is None:
        _open_bin = tempfile.mkdtemp(prefix="roost-bin-")
        os.chmod(_open_bin, 0o755)
        atexit.register(shutil.rmtree, _open_bin, True)
    for name in names:
        dst = os.path.join(_open_bin, name)
        if not os.path.exists(dst):
            shutil.copy(os.path.join(BIN, name), dst)   # links followed
            os.chmod(dst, 0o755)
    return _open_bin


def children(pid):
    """Direct children of pid."""
    kids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid and fields[0] not in "ZX":
                kids.append(int(d))
        except (OSError, IndexError, ValueError):
            continue
    return kids


def uid_of(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Uid:"):
                return [int(x) for x in line.split()[1:]]
    raise AssertionError("no Uid line for %d" % pid)


def wait_for(cond, timeout, step=0.02):
    """Poll cond() until true or timeout; returns the elapsed seconds or
    raises AssertionError."""
    t0 = time.monotonic()
    while True:
        v = cond()
        if v:
            return time.monotonic() - t0
        if time.monotonic() - t0 > timeout:
            raise AssertionError("condition not met within %.1fs" % timeout)
        time.sleep(step)


def greeting(port, host="127.0.0.1", timeout=5):
    """The first line a TCP server sends, or None if it closed first."""
    with socket.create_connection((host, port), timeout=timeout) as s:
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(4096)
            if not chunk:
                return None
            data += chunk
        return data.decode(errors="replace")


def wait_greeting(port, prefix, what, timeout=20):
    """Wait until the server on port greets with prefix (a restarted
    daemon takes a moment); AssertionError naming what otherwise."""
    deadline = time.time() + timeout
    while True:
        try:
            line = greeting(port, timeout=2)
            if line is not None and line.startswith(prefix):
                return
        except OSError:
            pass
        if time.time() > deadline:
            raise AssertionError("%s does not answer" % what)
        time.sleep(0.1)
