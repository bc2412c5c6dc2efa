"""roostctl user and domain commands, passwords from stdin and from a
terminal, and newaliases, on a running instance."""
import os
import pwd
import pty
import select
import subprocess
import time

from roost import BIN


def ctl_in(r, data, *args, timeout=60):
    """roostctl with data on standard input (a pipe, not a terminal)."""
    cmd = [os.path.join(BIN, "roostctl"), "-d", r.dir, "--port-base",
           str(r.port_base), *args]
    return subprocess.run(cmd, input=data, capture_output=True, text=True,
                          timeout=timeout)


def users(r):
    """{name: line} from roostctl user list."""
    out = r.ctl("user", "list").stdout
    return {line.split()[0]: line for line in out.splitlines() if line}


def on_terminal(r, answers, *args, timeout=30):
    """Run roostctl on a pseudo-terminal, typing each answer after each
    prompt; (exit status, everything it wrote)."""
    cmd = [os.path.join(BIN, "roostctl"), "-d", r.dir, "--port-base",
           str(r.port_base), *args]
    master, slave = pty.openpty()
    p = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave,
                         start_new_session=True)
    os.close(slave)
    out = b""
    pending = list(answers)
    answered = 0
    deadline = time.time() + timeout
    while time.time() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
            # Answer each prompt once: only new output counts.
            if pending and out[answered:].rstrip().endswith(b":"):
                os.write(master, pending.pop(0).encode() + b"\n")
                answered = len(out)
        elif p.poll() is not None:
            break
    if p.poll() is None:
        p.kill()
    rc = p.wait(timeout=10)
    os.close(master)
    return rc, out.decode(errors="replace")


def test_user_add_password_stdin(roost):
    r = ctl_in(roost, "s3cret horse\n", "user", "add", "Alice@Example.TEST",
               "--password-stdin")
    assert r.returncode == 0, r.stderr
    assert "domain example.test added" in r.stdout
    assert "user alice@example.test added" in r.stdout
    assert "s3cret" not in r.stdout + r.stderr
    assert "alice@example.test" in users(roost)
    assert "example.test" in roost.ctl("domain", "list").stdout.split()
    # The store exists at once: mail never bounces for a new user.
    assert os.path.isdir(roost.path("store", "u", "alice@example.test"))
    # Only a hash is kept, in a file only authd's account can read.
    db = roost.path("data", "passwd.db")
    with open(db, "rb") as f:
        data = f.read()
    assert b"s3cret" not in data
    assert b"crypt=$y$" in data or b"crypt=$6$" in data
    st = os.stat(db)
    assert st.st_mode & 0o777 == 0o640
    if os.geteuid() == 0:
        # root's, group authd_user's: not the store owner's, which
        # could otherwise read every hash and change any password
        assert st.st_uid == 0
        assert st.st_gid == pwd.getpwnam("roost-auth").pw_gid
        assert st.st_uid != os.stat(roost.path("store")).st_uid
    assert os.stat(roost.path("data", "users.db")).st_mode & 0o777 == 0o644


def test_user_add_refusals(roost):
    r = ctl_in(roost, "", "user", "add", "carol@example.test",
               "--password-stdin")
    assert r.returncode == 1 and "one non-empty line" in r.stderr
    assert "carol@example.test" not in users(roost)
    r = ctl_in(roost, "x\n", "user", "add", "alice@example.test",
               "--password-stdin")
    assert r.returncode == 1 and "already exists" in r.stderr
    for bad in ("../etc", "a b@example.test", "x@bad_domain", "@x.test",
                "a@b@c", "plus+sign@example.test"):
        r = ctl_in(roost, "", "user", "add", bad)
        assert r.returncode == 100, bad
    assert roost.ctl("user", "add", "--quota", "lots", "z@example.test",
                     check=False).returncode == 100
    for args in (["user"], ["user", "frob"], ["user", "del"],
                 ["user", "quota", "alice@example.test"],
                 ["domain"], ["domain", "add"], ["domain", "frob", "x"]):
        assert roost.ctl(*args, check=False).returncode == 100, args


def test_user_without_terminal_has_no_password(roost):
    r = roost.ctl("user", "add", "bob")      # stdin is /dev/null
    assert "no password" in r.stdout
    assert "bob" in users(roost)
    # A local-domain address names the same bare user.
    r = roost.ctl("user", "add", "bob@localhost", check=False)
    assert r.returncode == 1 and "user bob already exists" in r.stderr
    r = roost.ctl("user", "passwd", "bob", check=False)
    assert r.returncode == 1 and "--password-stdin" in r.stderr
    r = ctl_in(roost, "pw\n", "user", "passwd", "bob", "--password-stdin")
    assert r.returncode == 0 and "password of bob changed" in r.stdout
    r = ctl_in(roost, "pw\n", "user", "passwd", "nobody-here",
               "--password-stdin")
    assert r.returncode == 1 and "no such user" in r.stderr


def test_password_prompt_on_terminal(roost):
    rc, out = on_terminal(roost, ["first", "second"], "user", "passwd",
                          "bob")
    assert rc == 1 and "do not match" in out
    assert "first" not in out and "second" not in out   # no echo
    rc, out = on_terminal(roost, ["same pw", "same pw"], "user", "add",
                          "dave@example.test")
    assert rc == 0, out
    assert "Password:" in out and "Password again:" in out
    assert "same pw" not in out
    assert "dave@example.test" in users(roost)


def test_quota_and_forward(roost):
    r = roost.ctl("user", "quota", "alice@example.test", "1g")
    assert "quota of alice@example.test set to 1g" in r.stdout
    assert "quota=1G" in users(roost)["alice@example.test"]
    assert roost.ctl("user", "quota", "alice@example.test", "-5",
                     check=False).returncode == 100
    assert roost.ctl("user", "quota", "nobody@example.test", "1m",
                     check=False).returncode == 1
    roost.ctl("user", "forward", "bob", "x@remote.example,y@remote.example",
              "--keep")
    line = users(roost)["bob"]
    assert "forward=x@remote.example, y@remote.example" in line
    assert line.endswith("keep")
    r = roost.ctl("user", "forward", "bob", "not an address", check=False)
    assert r.returncode == 100
    roost.ctl("user", "forward", "bob")
    assert "forward=" not in users(roost)["bob"]


def test_domains(roost):
    r = roost.ctl("domain", "add", "Other.Example")
    assert "domain other.example added" in r.stdout.lower()
    assert "other.example" in roost.ctl("domain", "list").stdout.split()
    r = roost.ctl("domain", "add", "localhost", check=False)
    assert r.returncode == 1 and "local domain" in r.stderr
    r = roost.ctl("domain", "del", "example.test", check=False)
    assert r.returncode == 1 and "still has" in r.stderr
    assert roost.ctl("domain", "add", "bad_name", check=False).returncode \
        == 1
    roost.ctl("domain", "del", "other.example")
    assert "other.example" not in roost.ctl("domain", "list").stdout
    r = roost.ctl("domain", "del", "other.example", check=False)
    assert r.returncode == 1 and "no such domain" in r.stderr


def test_user_del_removes_everything(roost):
    ctl_in(roost, "pw\n", "user", "add", "eve@gone.example",
           "--password-stdin")
    store = roost.path("store", "u", "eve@gone.example")
    assert os.path.isdir(store)
    r = roost.ctl("user", "del", "eve@gone.example")
    assert "removed" in r.stdout
    assert not os.path.exists(store)
    assert "eve@gone.example" not in users(roost)
    with open(roost.path("data", "passwd.db"), "rb") as f:
        assert b"eve@gone.example" not in f.read()
    r = roost.ctl("user", "del", "eve@gone.example", check=False)
    assert r.returncode == 1 and "no such user" in r.stderr
    # Its domain is empty now and may go.
    roost.ctl("domain", "del", "gone.example")


def newaliases(r, *args):
    env = dict(os.environ, ROOST_CONF=r.conf)
    return subprocess.run([os.path.join(BIN, "newaliases"), *args],
                          capture_output=True, text=True, timeout=30,
                          env=env)


def test_default_aliases_and_newaliases(roost):
    path = roost.path("etc", "aliases")
    # roostctl start made a default file with a postmaster and compiled it.
    with open(path) as f:
        assert "postmaster: root" in f.read()
    assert os.path.exists(path + ".db")
    with open(path, "a") as f:
        f.write("team: bob,\n  alice@example.test\n"
                "run: \"|/bin/cat, with a comma\"\n")
    r = newaliases(roost)
    assert r.returncode == 0, r.stderr
    assert "newaliases: 3 aliases in %s" % path in r.stdout
    with open(roost.path("etc", "virtual"), "w") as f:
        f.write("info@example.test alice@example.test\n")
    env = dict(os.environ, ROOST_CONF=roost.conf)
    r = subprocess.run([os.path.join(BIN, "sendmail"), "-bi"],
                       capture_output=True, text=True, timeout=30, env=env)
    assert r.returncode == 0, r.stderr
    assert "1 virtual alias in" in r.stdout
    # A syntax error names file and line and keeps the old table.
    before = os.stat(path + ".db").st_ino
    with open(path, "a") as f:
        f.write("team: dave@example.test\n")
    r = newaliases(roost)
    assert r.returncode == 78      # EX_CONFIG
    assert "%s:8: duplicate alias 'team' (first at line 5)" % path \
        in r.stderr
    assert os.stat(path + ".db").st_ino == before
