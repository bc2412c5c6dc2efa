/*
 * imapd_idle - IDLE (RFC 2177): wait on the connection and on the
 * store's change notification together, and report changes to the
 * selected mailbox as they are committed.
 *
 * The notification (an inotify instance) is taken for the IDLE only:
 * instances are limited per uid (fs.inotify.max_user_instances, 128 on
 * Debian) and every session runs as the store's owner.  When none is
 * to be had, the mailbox is looked at every POLL_MS instead.
 */
#include <malloc.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "imapd.h"
#include "log.h"

#define POLL_MS 50

void
imapd_cmd_idle(struct imapd *st, const struct imap_cmd *c)
{
	struct str line = STR_INIT;
	long long limit_ms = var_imapd_timeout * 1000;
	int64_t until = buf_now_ms() + limit_ms;

	if (c->nargs != 0) {
		imapd_bad(st, c, "IDLE takes no arguments");
		return;
	}
	if (st->state == IMAPD_SELECTED) {
		struct str err = STR_INIT;

		if ((st->notify_fd = store_notify_open(st->store, &err)) < 0)
			log_debug("notify: %s; polling", err.s);
		str_free(&err);
	}
	buf_puts(&st->ss.b, "+ idling\r\n");
	/* An idle session may wait for hours: give the heap that the
	 * commands before used (a large FETCH's output buffer too) back
	 * to the system meanwhile. */
	if (buf_flush(&st->ss.b) == BUF_OK && st->ss.b.out.cap > 65536)
		str_free(&st->ss.b.out);
	malloc_trim(0);
	/* What was committed before the watch began. */
	if (st->state == IMAPD_SELECTED && imapd_sync(st, true) < 0)
		st->state = IMAPD_LOGOUT;
	while (st->state != IMAPD_LOGOUT) {
		struct pollfd p[2];
		int64_t left;
		int n;

		if (buf_flush(&st->ss.b) != BUF_OK) {
			st->state = IMAPD_LOGOUT;
			break;
		}
		if (buf_pending(&st->ss.b) == 0) {
			left = until - buf_now_ms();
			if (left <= 0) {
				buf_puts(&st->ss.b, "* BYE Autologout; idle "
				    "for too long\r\n");
				st->state = IMAPD_LOGOUT;
				break;
			}
			memset(p, 0, sizeof p);
			p[0].fd = st->ss.b.fd;
			p[0].events = POLLIN;
			p[1].fd = st->notify_fd;
			p[1].events = POLLIN;
			if (left > 60000)
				left = 60000;
			if (st->notify_fd < 0 && st->state == IMAPD_SELECTED)
				left = POLL_MS;
			n = poll(p, 2, (int)left);
			if (n < 0)
				continue;
			if ((p[1].revents & POLLIN) || (n == 0 &&
			    st->notify_fd < 0)) {
				if (st->state == IMAPD_SELECTED &&
				    imapd_sync(st, true) < 0) {
					st->state = IMAPD_LOGOUT;
					break;
				}
				continue;
			}
			if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
		}
		if (buf_getline(&st->ss.b, &line, 64) != BUF_OK) {
			st->state = IMAPD_LOGOUT;
			break;
		}
		str_chomp(&line);
		if (strcasecmp(line.s ? line.s : "", "DONE") == 0)
			imapd_ok(st, c, "IDLE terminated");
		else
			imapd_bad(st, c, "Expected DONE");
		break;
	}
	str_free(&line);
	if (st->notify_fd >= 0)
		close(st->notify_fd);
	st->notify_fd = -1;
	if (st->state == IMAPD_LOGOUT)
		imapd_ok(st, c, "IDLE ended");
}
