"""DNS (lib/dns) against a real server: Debian's unbound on loopback
(dnsserver.py), asked through `roostctl dns` as the daemons ask, and
the forward-confirmed client name in smtpd's Received header."""
import glob
import os
import re
import smtplib
import socket
import subprocess
import time

import pytest

import queuefile
from dnsserver import DnsServer
from roost import BIN, Roost, wait_for

TLSA_HEX = "0123456789abcdef" * 4

ZONES = {
    "example.test": [
        "example.test. 300 IN MX 20 mx2.example.test.",
        "example.test. 300 IN MX 10 mx1.example.test.",
        'example.test. 300 IN TXT "v=spf1 " "-all"',
        "mx1.example.test. 300 IN A 127.0.0.11",
        "mx1.example.test. 300 IN AAAA 2001:db8::11",
        "mx2.example.test. 300 IN A 127.0.0.12",
        "www.example.test. 300 IN CNAME mx1.example.test.",
        "_25._tcp.mx1.example.test. 300 IN TLSA 3 1 1 " + TLSA_HEX,
        "aonly.example.test. 300 IN A 127.0.0.13",
        "aonly.example.test. 300 IN AAAA 2001:db8::13",
        "equal.example.test. 300 IN MX 10 a.example.test.",
        "equal.example.test. 300 IN MX 10 b.example.test.",
        "equal.example.test. 300 IN MX 5 first.example.test.",
        "cached.example.test. 300 IN A 127.0.0.14",
        "good.example.test. 300 IN A 127.0.0.1",
        "good5.example.test. 300 IN A 127.0.0.5",
        "liar.example.test. 300 IN A 127.0.0.99",
    ],
    "nullmx.test": ["nullmx.test. 300 IN MX 0 ."],
    "127.in-addr.arpa": [
        "1.0.0.127.in-addr.arpa. 300 IN PTR good.example.test.",
        "5.0.0.127.in-addr.arpa. 300 IN PTR good5.example.test.",
        "2.0.0.127.in-addr.arpa. 300 IN PTR liar.example.test.",
    ],
}


@pytest.fixture(scope="module")
def dns():
    srv = DnsServer(ZONES, servfail=["servfail.test"])
    try:
        yield srv.start()
    finally:
        srv.finish()


def conf_for(tmp_path, servers, timeout="2s"):
    path = tmp_path / "roost.conf"
    path.write_text("dns_servers = %s\ndns_timeout = %s\n" %
                    (servers, timeout))
    return str(path)


def ctl_dns(conf, *args, timeout=30):
    """roostctl dns ...: (exit code, output lines)."""
    r = subprocess.run([os.path.join(BIN, "roostctl"), "-c", conf, "dns",
                        *args], capture_output=True, text=True,
                       timeout=timeout, stdin=subprocess.DEVNULL)
    assert "Sanitizer" not in r.stderr, r.stderr
    return r.returncode, r.stdout.splitlines()


@pytest.fixture
def conf(dns, tmp_path):
    return conf_for(tmp_path, dns.servers)


def test_mx_in_preference_order(conf):
    rc, out = ctl_dns(conf, "mx", "example.test")
    assert rc == 0
    assert out[:3] == ["MX example.test: OK", "  10 mx1.example.test",
                       "  20 mx2.example.test"]


def test_equal_preferences_come_in_random_order(conf):
    seen = set()
    for _ in range(40):
        rc, out = ctl_dns(conf, "mx", "equal.example.test")
        assert rc == 0 and out[1] == "  5 first.example.test", out
        seen.add(tuple(out[2:4]))
        if len(seen) == 2:
            break
    assert seen == {("  10 a.example.test", "  10 b.example.test"),
                    ("  10 b.example.test", "  10 a.example.test")}


def test_no_mx_is_the_domain_itself_with_its_addresses(conf):
    rc, out = ctl_dns(conf, "mx", "aonly.example.test")
    assert rc == 0
    assert out[:2] == ["MX aonly.example.test: OK implicit",
                       "  0 aonly.example.test"]
    rc, out = ctl_dns(conf, "addrs", "aonly.example.test")
    assert rc == 0
    # IPv6 first, then IPv4
    assert out[:3] == ["addresses aonly.example.test: OK",
                       "  2001:db8::13", "  127.0.0.13"]


def test_null_mx_and_nxdomain_are_final(conf):
    rc, out = ctl_dns(conf, "mx", "nullmx.test")
    assert rc == 0 and out[0] == "MX nullmx.test: OK null"
    assert not out[1].startswith("  ")
    rc, out = ctl_dns(conf, "mx", "nowhere.example.test")
    assert rc == 1 and out[0] == "MX nowhere.example.test: NXDOMAIN"
    rc, out = ctl_dns(conf, "addrs", "nowhere.example.test")
    assert rc == 1 and out[0] == "addresses nowhere.example.test: NXDOMAIN"


def test_nodata_with_the_soa_minimum_as_ttl(conf):
    rc, out = ctl_dns(conf, "lookup", "TLSA", "example.test")
    assert rc == 1
    assert out[0] == "TLSA example.test: NODATA ttl=60"


def test_record_types(conf):
    rc, out = ctl_dns(conf, "lookup", "TXT", "example.test",
                      "AAAA", "mx1.example.test",
                      "PTR", "1.0.0.127.in-addr.arpa",
                      "TLSA", "_25._tcp.mx1.example.test",
                      "A", "www.example.test")
    assert rc == 0, out
    text = "\n".join(out)
    assert '  TXT 300 "v=spf1 -all"' in out, text
    assert "  AAAA 300 2001:db8::11" in out, text
    assert "  PTR 300 good.example.test" in out, text
    assert "  TLSA 300 3 1 1 " + TLSA_HEX in out, text
    # the CNAME chain followed
    i = out.index("A www.example.test: OK ttl=300")
    assert out[i + 1:i + 3] == ["  canonical mx1.example.test",
                                "  A 300 127.0.0.11"], text


def test_servfail_and_refused_are_temporary(conf):
    t = time.monotonic()
    rc, out = ctl_dns(conf, "mx", "x.servfail.test")
    assert rc == 1 and out[0] == "MX x.servfail.test: TEMPFAIL"
    assert time.monotonic() - t < 5
    # outside the server's zones: REFUSED
    rc, out = ctl_dns(conf, "lookup", "A", "name.notatld")
    assert rc == 1 and out[0].startswith("A name.notatld: TEMPFAIL")


def test_no_server_is_a_quick_tempfail(tmp_path):
    # nothing listens: the port is unreachable at once
    c = conf_for(tmp_path, "127.0.0.53:1")
    t = time.monotonic()
    rc, out = ctl_dns(c, "mx", "example.test")
    assert rc == 1 and out[0] == "MX example.test: TEMPFAIL"
    assert time.monotonic() - t < 2


def test_silent_server_times_out_within_dns_timeout(tmp_path):
    # a socket that reads nothing: every try times out
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.53", 0))
    try:
        c = conf_for(tmp_path, "127.0.0.53:%d" % s.getsockname()[1], "1s")
        t = time.monotonic()
        rc, out = ctl_dns(c, "lookup", "A", "example.test")
        took = time.monotonic() - t
    finally:
        s.close()
    assert rc == 1 and out[0].startswith("A example.test: TEMPFAIL")
    assert 0.9 < took < 1.8, took


def test_second_lookup_comes_from_the_cache(dns, conf):
    before = dns.queries("cached.example.test", "A")
    before_nx = dns.queries("gone.example.test", "MX")
    rc, out = ctl_dns(conf, "lookup", "A", "cached.example.test",
                      "MX", "gone.example.test",
                      "A", "Cached.Example.Test", "MX", "gone.example.test")
    assert out[-1] == "; 2 queries", out
    assert sum(line.startswith("A Cached.Example.Test: OK ttl=")
               for line in out) == 1, out
    assert sum(line.startswith("MX gone.example.test: NXDOMAIN ttl=")
               for line in out) == 2, out
    wait_for(lambda: dns.queries("cached.example.test", "A") > before,
             timeout=5)
    assert dns.queries("cached.example.test", "A") == before + 1
    assert dns.queries("gone.example.test", "MX") == before_nx + 1


def test_fcrdns_from_roostctl(conf):
    rc, out = ctl_dns(conf, "fcrdns", "127.0.0.1")
    assert rc == 0 and out[0] == "fcrdns 127.0.0.1: OK good.example.test"
    rc, out = ctl_dns(conf, "fcrdns", "127.0.0.2")
    assert rc == 1 and out[0] == "fcrdns 127.0.0.2: NODATA unknown"
    rc, out = ctl_dns(conf, "fcrdns", "127.0.0.3")
    assert rc == 1 and out[0] == "fcrdns 127.0.0.3: NXDOMAIN unknown"


def test_a_server_on_ipv6(tmp_path):
    srv = DnsServer({"v6.test": ["v6.test. 300 IN MX 10 mx.v6.test."]},
                    ipv6=True)
    try:
        srv.start()
        # the first server is dead: the lookup goes on to the next
        c = conf_for(tmp_path, "127.0.0.53:1, " + srv.servers)
        rc, out = ctl_dns(c, "mx", "v6.test")
        assert rc == 0 and out[:2] == ["MX v6.test: OK", "  10 mx.v6.test"]
        assert srv.queries("v6.test", "MX") == 1
    finally:
        srv.finish()


def test_bad_dns_servers_names_file_line_and_key(tmp_path):
    c = tmp_path / "roost.conf"
    c.write_text("dns_timeout = 2s\ndns_servers = 127.0.0.1, dns.example\n")
    r = subprocess.run([os.path.join(BIN, "roostctl"), "-c", str(c),
                        "config", "check"], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 100
    assert re.search(r"%s:2: dns_servers: .*dns\.example" %
                     re.escape(str(c)), r.stderr), r.stderr


def hosts_name(ip):
    """The first name /etc/hosts gives ip, or None."""
    try:
        with open("/etc/hosts") as f:
            for line in f:
                w = line.split("#")[0].split()
                if len(w) >= 2 and w[0] == ip:
                    return w[1]
    except FileNotFoundError:
        pass
    return None


def received_from(r, source):
    """Send a message over SMTP from the address source; the Received
    header cleanup wrote (qmgr is down: the entry stays in incoming/)."""
    before = set(glob.glob(r.path("queue", "incoming", "*")))
    s = smtplib.SMTP("127.0.0.1", r.port("smtp"), timeout=30,
                     source_address=(source, 0))
    s.ehlo("client.example.test")
    s.sendmail("a@example.test", ["b@example.org"],
               "Subject: from %s\r\n\r\nhello\r\n" % source)
    s.quit()
    wait_for(lambda: set(glob.glob(r.path("queue", "incoming", "*")))
             - before, timeout=20)
    new = set(glob.glob(r.path("queue", "incoming", "*"))) - before
    content = queuefile.read(new.pop())["content"].decode()
    m = re.search(r"^Received: from .*?\n(?=\S)", content, re.M | re.S)
    assert m, content
    return m.group(0)


def test_received_shows_the_forward_confirmed_name(dns):
    r = Roost()
    try:
        r.init(dns_servers=dns.servers)
        r.start()
        r.service("qmgr", False)
        head = received_from(r, "127.0.0.5")
        assert head.startswith("Received: from client.example.test "
                               "(good5.example.test [127.0.0.5])"), head
        # the hosts file comes first, as the system's resolver has it
        head = received_from(r, "127.0.0.1")
        assert "(%s [127.0.0.1])" % (hosts_name("127.0.0.1") or
                                     "good.example.test") in head, head
        # a PTR whose name points elsewhere does not confirm
        head = received_from(r, "127.0.0.2")
        assert head.startswith("Received: from client.example.test "
                               "(unknown [127.0.0.2])"), head
        # no PTR at all
        head = received_from(r, "127.0.0.3")
        assert "(unknown [127.0.0.3])" in head, head
        # the answers came from the worker's cache the second time
        before = dns.queries("5.0.0.127.in-addr.arpa", "PTR")
        head = received_from(r, "127.0.0.5")
        assert "(good5.example.test [127.0.0.5])" in head, head
        assert "seccomp: refused" not in r.log("smtpd")
        assert dns.queries("5.0.0.127.in-addr.arpa", "PTR") <= before + 1
    finally:
        r.finish()


def test_dead_dns_server_leaves_the_name_unknown(tmp_path):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.53", 0))
    r = Roost()
    try:
        r.init(dns_servers="127.0.0.53:%d" % s.getsockname()[1])
        with open(r.conf, "a") as f:
            f.write("dns_timeout = 1s\n")
        r.start()
        r.service("qmgr", False)
        t = time.monotonic()
        head = received_from(r, "127.0.0.3")
        assert time.monotonic() - t < 10
        assert "(unknown [127.0.0.3])" in head, head
    finally:
        r.finish()
        s.close()


def test_init_makes_the_layout_and_starts_nothing():
    """roostctl init, which the tests use to set dns_servers before a
    first start."""
    r = Roost()
    try:
        r.init()
        with open(r.conf) as f:
            text = f.read()
        assert "smtpd_listen = 127.0.0.1:%d" % r.port("smtp") in text
        assert text.rstrip().endswith("dns_servers = 127.0.0.1:1")
        assert r.procs() == []
        assert "not running" in r.ctl("status", check=False).stdout
        r._ctl("init")      # a second time: the file is kept as it is
        with open(r.conf) as f:
            assert f.read() == text
    finally:
        r.finish()
