/*
 * slots - counting sessions across worker processes: a session holds
 * one of `limit` lock files named for its key (a client address, a
 * user) under a directory.  The kernel drops the lock when the process
 * exits however it exits, so a crashed worker never leaks a slot.
 */
#ifndef ROOST_SLOTS_H
#define ROOST_SLOTS_H

#include <stdbool.h>

#include "str.h"

/* slot_take - an fd holding one of the key's slots in dir (keep it open
 * for the session; close it to give the slot back), -1 when all limit
 * slots are taken, -2 on a system error (err says which; callers let
 * the session go on rather than refuse everyone). */
int slot_take(const char *dir, const char *key, unsigned limit,
    struct str *err);

/* slot_take_at - the same with dir relative to the directory open at
 * dfd (a process chrooted away from it keeps it open from before). */
int slot_take_at(int dfd, const char *dir, const char *key,
    unsigned limit, struct str *err);

/* slot_sweep - remove the slot files no one holds from the folder open
 * at dfd (one per key ever seen would pile up otherwise): how many, or
 * -1.  Safe against takers: one that opened a file just swept finds it
 * unlinked once locked and takes the path afresh. */
int slot_sweep(int dfd);

/* slot_key_path - "dir/<key>", the key escaped so that it names no other
 * path; the slot files are that plus ".<n>", and callers may keep other
 * per-key files beside them with other suffixes. */
void slot_key_path(const char *dir, const char *key, struct str *out);

#endif
