/*
 * ready - s6 readiness notification.
 *
 * A service directory's notification-fd file names the descriptor on
 * which s6-supervise waits for one newline; the run script passes the
 * same number to the daemon as "-d N".  A daemon calls ready_notify()
 * once every socket is bound, so s6-svwait -U (and roostctl start)
 * return only when the service really accepts connections.
 */
#ifndef ROOST_READY_H
#define ROOST_READY_H

/* ready_notify - write "\n" to fd and close it; fd < 0 does nothing.
 * 0, or -1 with errno when the write fails. */
int ready_notify(int fd);
/* ready_fd_from_file - the number in a notification-fd file, or -1. */
int ready_fd_from_file(const char *path);

#endif
