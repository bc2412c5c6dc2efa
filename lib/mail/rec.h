/*
 * rec - queue files as a sequence of typed records.
 *
 * A record is one type byte, the payload length as an unsigned LEB128
 * varint (at most REC_MAX), and the payload.  A queue file is:
 *
 *   REC_VERSION "roost-queue 1"
 *   REC_TIME    arrival, microseconds since the epoch, decimal
 *   REC_ATTR    name=value (session facts, flags), any number
 *   REC_SENDER  the envelope sender ("" for <>)
 *   REC_PARAMS  ESMTP MAIL parameters (BODY=, RET=, ENVID=, SMTPUTF8)
 *   REC_RCPT    "ADDR[ PARAMS]", one per recipient, in order
 *   REC_CONTENT empty: the message follows
 *   REC_DATA    message bytes (LF line ends), chunks of at most 64 KiB
 *   REC_END     empty: required last record
 *
 * A file whose last record is not REC_END, or with an unknown type or a
 * record past the end, is corrupt and must never be delivered.
 */
#ifndef ROOST_REC_H
#define ROOST_REC_H

#include <stddef.h>

#include "buf.h"
#include "str.h"

enum rec_type {
	REC_VERSION = 'V',
	REC_TIME = 'T',
	REC_ATTR = 'A',
	REC_SENDER = 'S',
	REC_PARAMS = 'P',
	REC_RCPT = 'R',
	REC_CONTENT = 'M',
	REC_DATA = 'D',
	REC_END = 'E',
};

#define REC_MAX (1u << 20)
#define REC_VERSION_TEXT "roost-queue 1"

/* rec_put - append one record to out (a file image being built). */
void rec_put(struct str *out, int type, const void *p, size_t n);
/* rec_get - read the next record from b: 1 with *type and the payload
 * in out; 0 at end of file exactly between records; -1 when the file is
 * corrupt or unreadable, with a reason in err. */
int rec_get(struct buf *b, int *type, struct str *out, struct str *err);

#endif
