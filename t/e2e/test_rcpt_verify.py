"""smtpd's RCPT-time recipient verification against the real tables:
550 5.1.1 for unknown users of our domains, 250 for users, system
accounts, aliases and virtual aliases, changes seen without a restart,
451 when a table cannot be read, and relaying unchanged."""
import os
import smtplib
import subprocess

from roost import BIN, wait_for


def rcpt(r, *addrs):
    """[(code, text)] of RCPT for each address in one transaction."""
    s = smtplib.SMTP("127.0.0.1", r.port("smtp"), timeout=30)
    try:
        s.ehlo("client.example")
        assert s.mail("sender@client.example")[0] == 250
        return [(c, t.decode()) for c, t in (s.rcpt(a) for a in addrs)]
    finally:
        s.close()


def code(r, addr):
    return rcpt(r, addr)[0][0]


def ctl_in(r, data, *args):
    cmd = [os.path.join(BIN, "roostctl"), "-d", r.dir, "--port-base",
           str(r.port_base), *args]
    return subprocess.run(cmd, input=data, capture_output=True, text=True,
                          timeout=60, check=True)


def newaliases(r):
    env = dict(os.environ, ROOST_CONF=r.conf)
    p = subprocess.run([os.path.join(BIN, "newaliases")], env=env,
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr


def test_unknown_local_user(roost):
    c, text = rcpt(roost, "nosuch@localhost")[0]
    assert c == 550
    assert text == ("5.1.1 <nosuch@localhost>: Recipient address "
                    "rejected: User unknown")
    wait_for(lambda: "reject: 550 5.1.1 <nosuch@localhost>" in
             roost.log("smtpd"), 10)


def test_known_local_recipients(roost):
    # System accounts (local_system_users), any case, with extension;
    # the default aliases' postmaster; bare postmaster (RFC 5321).
    assert [c for c, _ in rcpt(roost, "root@localhost", "ROOT@LocalHost",
                              "daemon+tag@localhost",
                              "postmaster@localhost", "postmaster")] == \
        [250] * 5


def test_roost_users_seen_at_once(roost):
    assert code(roost, "frank@localhost") == 550
    roost.ctl("domain", "add", "virtual.example")
    assert code(roost, "frank@virtual.example") == 550
    roost.ctl("user", "add", "frank")
    ctl_in(roost, "pw\n", "user", "add", "frank@virtual.example",
           "--password-stdin")
    # No restart: smtpd's workers notice the rebuilt table.
    assert [c for c, _ in rcpt(roost, "frank@localhost", "Frank+x@localhost",
                              "frank@VIRTUAL.example",
                              "frank+list@virtual.example",
                              "nobody@virtual.example")] == \
        [250, 250, 250, 250, 550]
    roost.ctl("user", "del", "frank")
    assert code(roost, "frank@localhost") == 550


def test_aliases_and_virtual(roost):
    with open(roost.path("etc", "aliases"), "a") as f:
        f.write("helpdesk: root\n")
    with open(roost.path("etc", "virtual"), "w") as f:
        f.write("sales@shop.example root@localhost\n"
                "@catchall.example root@localhost\n")
    assert code(roost, "helpdesk@localhost") == 550
    newaliases(roost)
    assert [c for c, _ in rcpt(roost, "helpdesk@localhost",
                              "sales@shop.example",
                              "anyone@catchall.example",
                              "other@shop.example")] == \
        [250, 250, 250, 550]


def test_remote_relay_from_mynetworks(roost):
    # 127.0.0.1 is in mynetworks: relaying stays allowed.
    assert code(roost, "someone@remote.example") == 250


def test_table_failure_is_temporary(roost):
    db = roost.path("data", "users.db")
    ctl_in(roost, "pw\n", "user", "add", "gina@temp.example",
           "--password-stdin")
    with open(db, "rb") as f:
        good = f.read()
    tmp = db + ".junk"
    with open(tmp, "wb") as f:
        f.write(b"this is not an LMDB file " * 40)
    os.rename(tmp, db)
    try:
        c, text = rcpt(roost, "gina@temp.example")[0]
        assert c == 451 and text.startswith("4.3.0")
    finally:
        with open(tmp, "wb") as f:
            f.write(good)
        os.rename(tmp, db)
    assert code(roost, "gina@temp.example") == 250


def test_relay_refused_outside_mynetworks(fresh):
    fresh.start()
    with open(fresh.conf, "a") as f:
        f.write("mynetworks = 192.0.2.0/24\n")
    fresh.ctl("restart", "smtpd")
    c, text = rcpt(fresh, "x@remote.example")[0]
    assert c == 554 and "5.7.1" in text and "Relay access denied" in text
    assert [c for c, _ in rcpt(fresh, "root@localhost",
                              "nosuch@localhost")] == [250, 550]
