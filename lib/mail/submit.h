/*
 * submit - the client side of the cleanup protocol, used by smtpd and
 * the sendmail wrapper to queue a message.  The protocol itself is
 * lib/mail/cleanupproto.h.
 *
 *   submit_open()      connect to cleanup's socket, check the greeting
 *   submit_begin()     send the envelope; cleanup says whether it will
 *                      take the message
 *   submit_data()      stream the content (LF line ends), any number of
 *                      calls
 *   submit_end()       finish; cleanup answers only once the entry is
 *                      durable (fsync + rename), with its queue ID
 *   submit_close()     hang up (also fine in the middle: cleanup then
 *                      discards the unfinished message)
 *
 * Results are SUBMIT_OK, SUBMIT_TEMP (try again later: 4xx, EX_TEMPFAIL)
 * or SUBMIT_PERM (this message will never be taken: 5xx, EX_DATAERR),
 * with cleanup's reason, or ours, in s->reason.  A broken connection is
 * SUBMIT_TEMP.  After anything but SUBMIT_OK the transaction is over.
 */
#ifndef ROOST_SUBMIT_H
#define ROOST_SUBMIT_H

#include "attr.h"
#include "buf.h"
#include "qid.h"
#include "str.h"

enum submit_rc { SUBMIT_OK = 0, SUBMIT_TEMP, SUBMIT_PERM };

struct submit {
	int fd;
	struct buf b;
	struct str reason;
	char queue_id[QID_LEN + 1];
	int in_data;		/* between begin and end */
};

/* submit_open - connect to path (timeout in ms); SUBMIT_TEMP on failure. */
enum submit_rc submit_open(struct submit *s, const char *path,
    int timeout_ms);
/* submit_begin - send envelope (request=submit is added) and read the
 * answer. */
enum submit_rc submit_begin(struct submit *s, const struct attrs *envelope);
/* submit_data - queue n bytes of content (sent in chunks). */
enum submit_rc submit_data(struct submit *s, const void *p, size_t n);
/* submit_end - end the content and wait for the commit; on SUBMIT_OK
 * s->queue_id holds the ID. */
enum submit_rc submit_end(struct submit *s);
/* submit_abort - end the transaction without queueing (the connection
 * stays usable for another one). */
enum submit_rc submit_abort(struct submit *s);
void submit_close(struct submit *s);

#endif
