/*
 * fuzzbuf - what the libFuzzer harnesses share: a struct buf that reads
 * the fuzzer's input from memory (in pieces whose sizes the input also
 * chooses, so the readers meet every split) and throws output away.
 */
#ifndef ROOST_FUZZBUF_H
#define ROOST_FUZZBUF_H
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct fuzzbuf {
	const uint8_t *p;
	size_t n, pos;
	size_t piece;		/* bytes per read, 1.. */
};

/* fuzzbuf_open - b reads data[0..size) through f, piece bytes a read
 * (0: all at once). */
void fuzzbuf_open(struct buf *b, struct fuzzbuf *f, const uint8_t *data,
    size_t size, size_t piece);
void fuzzbuf_close(struct buf *b);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
