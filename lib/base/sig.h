/*
 * sig - signals delivered through a self-pipe, so event loops see them
 * as readable input instead of handling them asynchronously.
 */
#ifndef ROOST_SIG_H
#define ROOST_SIG_H

/* sig_pipe - create the pipe (once) and return its read end. */
int sig_pipe(void);
/* sig_catch - route signo into the pipe (SA_RESTART is not set). */
void sig_catch(int signo);
/* sig_default / sig_ignore - restore the default action, or ignore. */
void sig_default(int signo);
void sig_ignore(int signo);
/* sig_next - the next pending signal number, or 0 when none. */
int sig_next(void);
/* sig_pipe_close - close both ends (a forked child that does not use it). */
void sig_pipe_close(void);

#endif
