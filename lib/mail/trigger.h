/*
 * trigger - wake the queue manager: connect to its qmgr_listen socket,
 * write request bytes, close (the bytes are in qmgr/qmgr.h: 'I' scan
 * incoming, 'D' scan deferred, 'F' flush).  The queue directories are
 * the record of truth, so a lost trigger costs latency, never mail.
 */
#ifndef ROOST_TRIGGER_H
#define ROOST_TRIGGER_H

#include "str.h"

/* The requests, as strings for trigger_qmgr. */
#define TRIGGER_INCOMING "I"
#define TRIGGER_DEFERRED "D"
#define TRIGGER_FLUSH "F"

/* trigger_qmgr - send bytes to qmgr at the unix: endpoint of
 * qmgr_listen (that key's value), a relative path taken from run_dir,
 * waiting at most timeout_ms to connect; one connection per byte when
 * each, so qmgr acts on them in order.  0, or -1 with a reason in err. */
int trigger_qmgr(const char *qmgr_listen, const char *run_dir,
    const char *bytes, int timeout_ms, int each, struct str *err);

#endif
