/* One worker thread beside the event loop: the requests that run scrypt or SQLite go there, so
 * the loop keeps answering (cacerts, new connections, deadlines) while one waits. */
#ifndef KINKO_BANKD_WORKER_H
#define KINKO_BANKD_WORKER_H

struct event_base;
typedef struct bankd_worker bankd_worker;

typedef void (*bankd_job_fn)(void *job);

/* run(job) on the worker thread, then done(job) on the loop's thread. */
bankd_worker *bankd_worker_new(struct event_base *base, bankd_job_fn run, bankd_job_fn done);
/* Queues a job; -1 if the worker is stopping or out of memory (the caller keeps the job). */
int bankd_worker_push(bankd_worker *w, void *job);
/* Waits for the running job, stops the thread; drop(job) for every job whose done() never ran. */
void bankd_worker_free(bankd_worker *w, bankd_job_fn drop);

#endif
