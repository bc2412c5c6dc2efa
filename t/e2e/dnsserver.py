"""A DNS server of our own for tests: Debian's unbound on a loopback
address and a free high port, serving the zones a test gives it and
nothing else.

Every name outside those zones is refused ("." refuse), so unbound never
recurses and no query leaves the machine. One zone can be made to
SERVFAIL: it is delegated (stub-zone) to a loopback port where nothing
listens. Queries are logged, so a test can count what reached the server.
"""
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time

UNBOUND = "/usr/sbin/unbound"
ADDR = "127.0.0.53"


def _family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def _free_udp(addr):
    for _ in range(200):
        port = random.randrange(20000, 60000)
        s = socket.socket(_family(addr), socket.SOCK_DGRAM)
        try:
            s.bind((addr, port))
            return port
        except OSError:
            continue
        finally:
            s.close()
    raise RuntimeError("no free UDP port on %s" % addr)


def query(addr, port, name, qtype=1, timeout=0.5):
    """One raw query; the reply's RCODE, or None without a reply."""
    q = struct.pack(">HHHHHH", 0x4242, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack(">HH", qtype, 1)
    s = socket.socket(_family(addr), socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(q, (addr, port))
        data = s.recv(4096)
        return data[3] & 0xf
    except OSError:
        return None
    finally:
        s.close()


class DnsServer:
    """zones: {zone: [record lines in zone-file syntax]}; each zone is
    served authoritatively (a SOA is added, minimum TTL neg_ttl).
    servfail: zones that answer SERVFAIL."""

    def __init__(self, zones, servfail=(), neg_ttl=60, ipv6=False):
        self.dir = tempfile.mkdtemp(prefix="roost-dns-")
        self.addr = "::1" if ipv6 else ADDR
        self.port = _free_udp(self.addr)
        self.proc = None
        lines = [
            "server:",
            "    interface: %s@%d" % (self.addr, self.port),
            "    port: %d" % self.port,
            "    do-ip6: %s" % ("yes" if ipv6 else "no"),
            "    do-ip4: %s" % ("no" if ipv6 else "yes"),
            "    do-tcp: yes",
            "    do-daemonize: no",
            '    username: ""',
            '    chroot: ""',
            '    directory: "%s"' % self.dir,
            '    pidfile: "%s/unbound.pid"' % self.dir,
            "    use-syslog: no",
            '    logfile: "%s/unbound.log"' % self.dir,
            "    verbosity: 1",
            "    log-queries: yes",
            "    access-control: 127.0.0.0/8 allow",
            "    access-control: ::1/128 allow",
            '    module-config: "iterator"',
            # the SERVFAIL zones' "servers" are on loopback
            "    do-not-query-localhost: no",
            # nothing outside our zones: no recursion, no root hints
            '    local-zone: "." refuse',
        ]
        for zone, records in zones.items():
            zone = zone.rstrip(".") + "."
            lines.append('    local-zone: "%s" static' % zone)
            lines.append('    local-data: "%s 300 IN SOA ns.%s '
                         'hostmaster.%s 1 3600 600 86400 %d"' %
                         (zone, zone, zone, neg_ttl))
            for r in records:
                lines.append("    local-data: '%s'" % r)
        for zone in servfail:
            zone = zone.rstrip(".") + "."
            lines.append('    local-zone: "%s" transparent' % zone)
        lines += ["remote-control:", "    control-enable: no"]
        for zone in servfail:
            lines += ["stub-zone:", '    name: "%s"' % zone.rstrip("."),
                      "    stub-addr: 127.0.0.1@1"]
        self.conf = os.path.join(self.dir, "unbound.conf")
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n")

    @property
    def servers(self):
        """The value of dns_servers that reaches this server."""
        if ":" in self.addr:
            return "[%s]:%d" % (self.addr, self.port)
        return "%s:%d" % (self.addr, self.port)

    def start(self):
        r = subprocess.run([UNBOUND + "-checkconf", self.conf],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stdout + r.stderr
        self.proc = subprocess.Popen([UNBOUND, "-d", "-c", self.conf],
                                     stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while query(self.addr, self.port, "ready.invalid") is None:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("unbound did not start:\n" +
                                     self.log())
            time.sleep(0.05)
        return self

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None

    def finish(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def log(self):
        try:
            with open(os.path.join(self.dir, "unbound.log"),
                      errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def queries(self, name, qtype):
        """How many queries for name/qtype reached the server."""
        want = " %s. %s IN" % (name.rstrip("."), qtype)
        return sum(1 for line in self.log().splitlines() if want in line)
