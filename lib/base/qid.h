/*
 * qid - unique, sortable queue IDs.
 *
 * An ID is QID_LEN characters of a base-32 alphabet whose byte order
 * matches its numeric order ("0-9" then lowercase letters without i l o
 * u): 11 characters of microseconds since the epoch, then 5 characters of
 * a per-process sequence mixed with randomness.  IDs made later sort
 * after earlier ones (to the microsecond), IDs made by one process are
 * strictly increasing, and IDs of different processes collide only with
 * negligible probability; cleanup still creates queue files with O_EXCL.
 * Nothing in an ID comes from client input.
 */
#ifndef ROOST_QID_H
#define ROOST_QID_H

#include <stdbool.h>
#include <stdint.h>

#define QID_LEN 16

/* qid_new - write a fresh NUL-terminated ID into out. */
void qid_new(char out[QID_LEN + 1]);
/* qid_valid - whether s is exactly one well-formed ID. */
bool qid_valid(const char *s);
/* qid_time_us - the creation time encoded in a valid ID. */
uint64_t qid_time_us(const char *id);

#endif
