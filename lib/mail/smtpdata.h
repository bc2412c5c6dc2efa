/*
 * smtpdata - decoding of SMTP message data: DATA (dot-stuffed, ended by
 * CRLF.CRLF, RFC 5321 4.5.2) and BDAT chunks (RFC 3030, taken as is).
 *
 * A byte-at-a-time state machine, so the result never depends on how
 * the input was split.  Output is the content with LF line ends, ready
 * for cleanup.  Against SMTP smuggling the only end of data is
 * <CRLF>.<CRLF>: <LF>.<LF>, <CR>.<CR> and every mix are data.  A bare LF
 * or bare CR is flagged (the session then refuses the message) or, with
 * normalize, taken as a line end; a line after a bare line end is never
 * dot-unstuffed and can never end the data.  Lines longer than line_max
 * octets (CRLF included) are flagged.
 */
#ifndef ROOST_SMTPDATA_H
#define ROOST_SMTPDATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "str.h"

#define SMTPDATA_BARE 0x01	/* a bare CR or LF was seen */
#define SMTPDATA_LONG 0x02	/* a line over line_max */

struct smtpdata {
	int state;
	bool dot;		/* DATA: dot-stuffing and end detection */
	bool normalize;		/* bare CR/LF: a line end, not an error */
	size_t line_max;	/* octets, line end included */
	size_t line_len;
	unsigned flags;		/* SMTPDATA_* */
	bool done;		/* DATA: the end was seen */
	uint64_t octets;	/* octets taken */
};

/* smtpdata_init - dot for DATA, false for BDAT. */
void smtpdata_init(struct smtpdata *d, bool dot, bool normalize,
    size_t line_max);
/*
 * smtpdata_feed - take up to n bytes of p, appending content to out.
 * Returns the bytes taken: fewer than n only when the end of DATA was
 * reached (d->done), the rest belonging to the next command.
 */
size_t smtpdata_feed(struct smtpdata *d, const char *p, size_t n,
    struct str *out);
/* smtpdata_take - smtpdata_feed, adding to *size the octets appended
 * to out with each line end counted as CRLF, as the client sent it and
 * as SIZE (RFC 1870) measures it. */
size_t smtpdata_take(struct smtpdata *d, const char *p, size_t n,
    struct str *out, unsigned long long *size);
/*
 * smtpdata_read - DATA from b until its end: each line (at most max
 * octets, read into line) goes to take(arg, bytes, n), which feeds d.
 * A longer line is flagged SMTPDATA_LONG and carried on as if it ended
 * there.  BUF_OK once d->done, else the buf status that stopped it.
 */
int smtpdata_read(struct buf *b, struct smtpdata *d, struct str *line,
    size_t max, size_t (*take)(void *arg, const char *p, size_t n),
    void *arg);
/*
 * smtpdata_chunk - a BDAT chunk of n octets from b, in pieces of at most
 * step octets, each given to take(arg, bytes, len); with take NULL the
 * chunk is read and dropped (RFC 3030 2: a chunk is read even when its
 * command fails).  BUF_OK, or the buf status that stopped it.
 */
int smtpdata_chunk(struct buf *b, unsigned long long n, size_t step,
    size_t (*take)(void *arg, const char *p, size_t n), void *arg);
/* smtpdata_finish - BDAT LAST: a CR pending at the end is bare. */
void smtpdata_finish(struct smtpdata *d, struct str *out);

#endif
