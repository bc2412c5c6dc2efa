/*
 * qmgr - shared declarations of the queue manager.
 */
#ifndef QMGR_H
#define QMGR_H

#define QMGR_TRIGGER_INCOMING 'I'
#define QMGR_TRIGGER_DEFERRED 'D'

/* qmgr_trigger_accept - take one pending trigger connection (never
 * blocks) and act on the bytes it carries. */
void qmgr_trigger_accept(int lfd);

#endif
