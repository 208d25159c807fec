/* The worker: a queue under a mutex, one thread, and a pipe back to the loop carrying each
 * finished job's pointer (the loop's side uses no libevent locking: only the loop's thread
 * touches libevent). */
#include "bankd_worker.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <event2/event.h>

typedef struct worker_item {
	void *job;
	struct worker_item *next;
} worker_item;

struct bankd_worker {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	worker_item *head, *tail;
	int stopping;
	int pipe[2];
	struct event *ready;
	bankd_job_fn run, done;
};

static void *worker_main(void *arg)
{
	bankd_worker *w = arg;
	/* Signals (SIGTERM, SIGINT) are the loop's. */
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (;;) {
		worker_item *it;
		void *job;
		ssize_t n;

		pthread_mutex_lock(&w->lock);
		while (w->head == NULL && !w->stopping)
			pthread_cond_wait(&w->wake, &w->lock);
		if (w->stopping) {
			pthread_mutex_unlock(&w->lock);
			return NULL;
		}
		it = w->head;
		w->head = it->next;
		if (w->head == NULL)
			w->tail = NULL;
		pthread_mutex_unlock(&w->lock);
		job = it->job;
		free(it);
		w->run(job);
		/* A pointer is less than PIPE_BUF: the write is whole. The loop drains the pipe
		 * as fast as jobs finish, so it does not fill. */
		do
			n = write(w->pipe[1], &job, sizeof job);
		while (n < 0 && errno == EINTR);
	}
}

static void on_ready(evutil_socket_t fd, short what, void *arg)
{
	bankd_worker *w;
	void *jobs[64];
	ssize_t n;
	ssize_t i;

	(void)what;
	w = arg;
	n = read(fd, jobs, sizeof jobs);
	for (i = 0; n > 0 && i < n / (ssize_t)sizeof jobs[0]; i++)
		w->done(jobs[i]);
}

bankd_worker *bankd_worker_new(struct event_base *base, bankd_job_fn run, bankd_job_fn done)
{
	bankd_worker *w = calloc(1, sizeof *w);
	if (w == NULL)
		return NULL;
	w->run = run;
	w->done = done;
	w->pipe[0] = w->pipe[1] = -1;
	if (pipe2(w->pipe, O_CLOEXEC) != 0 || fcntl(w->pipe[0], F_SETFL, O_NONBLOCK) != 0)
		goto fail;
	w->ready = event_new(base, w->pipe[0], EV_READ | EV_PERSIST, on_ready, w);
	if (w->ready == NULL || event_add(w->ready, NULL) != 0)
		goto fail;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
		pthread_cond_destroy(&w->wake);
		pthread_mutex_destroy(&w->lock);
		goto fail;
	}
	return w;
fail:
	if (w->ready != NULL)
		event_free(w->ready);
	if (w->pipe[0] >= 0)
		close(w->pipe[0]);
	if (w->pipe[1] >= 0)
		close(w->pipe[1]);
	free(w);
	return NULL;
}

int bankd_worker_push(bankd_worker *w, void *job)
{
	worker_item *it = malloc(sizeof *it);
	int ok;

	if (it == NULL)
		return -1;
	it->job = job;
	it->next = NULL;
	pthread_mutex_lock(&w->lock);
	ok = !w->stopping;
	if (ok) {
		if (w->tail != NULL)
			w->tail->next = it;
		else
			w->head = it;
		w->tail = it;
		pthread_cond_signal(&w->wake);
	}
	pthread_mutex_unlock(&w->lock);
	if (!ok)
		free(it);
	return ok ? 0 : -1;
}

void bankd_worker_free(bankd_worker *w, bankd_job_fn drop)
{
	void *job;

	if (w == NULL)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = 1;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	/* Finished but not yet delivered, then never started. */
	while (read(w->pipe[0], &job, sizeof job) == (ssize_t)sizeof job)
		drop(job);
	while (w->head != NULL) {
		worker_item *it = w->head;
		w->head = it->next;
		drop(it->job);
		free(it);
	}
	event_free(w->ready);
	close(w->pipe[0]);
	close(w->pipe[1]);
	pthread_cond_destroy(&w->wake);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
