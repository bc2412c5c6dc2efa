/*
 * imapd_idle - IDLE (RFC 2177): wait on the connection and on the
 * store's change notification together, and report changes to the
 * selected mailbox as they are committed.
 */
#include <poll.h>
#include <string.h>

#include "cfg.h"
#include "imapd.h"

void
imapd_cmd_idle(struct imapd *st, const struct imap_cmd *c)
{
	struct str line = STR_INIT;
	long long limit_ms = cfg_int("imapd_timeout") * 1000;
	int64_t until = buf_now_ms() + limit_ms;

	if (c->nargs != 0) {
		imapd_bad(st, c, "IDLE takes no arguments");
		return;
	}
	buf_puts(&st->ss.b, "+ idling\r\n");
	for (;;) {
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
			n = poll(p, 2, left > 60000 ? 60000 : (int)left);
			if (n < 0)
				continue;
			if (p[1].revents & POLLIN) {
				if (st->state == IMAPD_SELECTED &&
				    imapd_sync(st, true) < 0) {
					st->state = IMAPD_LOGOUT;
					break;
				}
				store_notify_drain(st->notify_fd);
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
	if (st->state == IMAPD_LOGOUT)
		imapd_ok(st, c, "IDLE ended");
}
