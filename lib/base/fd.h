/*
 * fd - EINTR-safe wrappers around the raw descriptor calls.
 *
 * All return what the system call returns (-1 with errno on error), but
 * retry on EINTR.  No stdio is ever used on sockets.
 */
#ifndef ROOST_FD_H
#define ROOST_FD_H

#include <stdbool.h>
#include <poll.h>
#include <sys/types.h>

ssize_t fd_read(int fd, void *buf, size_t n);
ssize_t fd_write(int fd, const void *buf, size_t n);
/* fd_write_all - write all n bytes; 0 on success, -1 on error. */
int fd_write_all(int fd, const void *buf, size_t n);
/* fd_wait - poll one fd for events; 1 ready, 0 timeout, -1 error.
 * timeout_ms < 0 waits forever. */
int fd_wait(int fd, short events, int timeout_ms);
int fd_close(int fd);
int fd_cloexec(int fd, bool on);
int fd_nonblock(int fd, bool on);
/* fd_move - dup2 old onto new and close old (no-op when equal). */
int fd_move(int to, int from);
/* fd_is_open - whether fd refers to an open descriptor. */
bool fd_is_open(int fd);

#endif
