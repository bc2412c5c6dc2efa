"""What each process of a running instance may do (doc/SECURITY.md):
no daemon can gain privileges through exec, pipe (the one that stays
root) keeps only the capabilities a delivery needs, and every other
daemon runs as a non-root account."""
import os

import pytest

from roost import children, uid_of

DAEMONS = ("smtpd", "cleanup", "qmgr", "lmtpd", "pipe", "authd", "imapd",
           "popd")
# CAP_DAC_READ_SEARCH (2), CAP_KILL (5), CAP_SETGID (6), CAP_SETUID (7)
PIPE_CAPS = (1 << 2) | (1 << 5) | (1 << 6) | (1 << 7)


def status(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return out


def daemon_procs(roost):
    """{name: [master and its workers]} of every daemon."""
    masters = roost.status()
    return {d: [masters[d]] + children(masters[d]) for d in DAEMONS}


def test_no_daemon_can_gain_privileges(roost):
    for name, pids in daemon_procs(roost).items():
        for pid in pids:
            assert status(pid)["NoNewPrivs"] == "1", (name, pid)


@pytest.mark.skipif(os.geteuid() != 0, reason="accounts need root")
def test_only_pipe_is_root_and_it_keeps_four_capabilities(roost):
    for name, pids in daemon_procs(roost).items():
        for pid in pids:
            st = status(pid)
            if name == "pipe":
                assert uid_of(pid)[0] == 0
                assert int(st["CapEff"], 16) == PIPE_CAPS, st["CapEff"]
                assert int(st["CapPrm"], 16) == PIPE_CAPS, st["CapPrm"]
                assert int(st["CapBnd"], 16) == PIPE_CAPS, st["CapBnd"]
            else:
                assert 0 not in uid_of(pid), (name, pid)
                assert int(st["CapEff"], 16) == 0, (name, st["CapEff"])
