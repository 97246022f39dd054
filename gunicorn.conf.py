"""Production gunicorn settings:  gunicorn -c gunicorn.conf.py 'bot:wsgi()'

Each worker builds its own zoombot (Bolt app, database pool, scheduler) after the fork;
the database decides which process does which job, so workers and replicas need no
other coordination. WEB_CONCURRENCY (gunicorn's own variable) sets the worker count.
"""
import os
import shutil

bind = f"0.0.0.0:{os.environ.get('PORT', '3000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "16"))
timeout = 60
graceful_timeout = 20  # open requests get 20 s after SIGTERM; shutdown() the rest of 30 s
keepalive = 5
accesslog = None  # zoombot logs each event itself, with request, team and user ids
control_socket_disable = True

# Prometheus multiprocess mode: every worker writes its samples here, /metrics adds them up.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", "/tmp/zoombot-metrics")


def on_starting(server):  # type: ignore[no-untyped-def]
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(directory, ignore_errors=True)  # samples of a previous run are stale
    os.makedirs(directory, exist_ok=True)


def worker_exit(server, worker):  # type: ignore[no-untyped-def]
    import bot

    bot.shutdown()


def child_exit(server, worker):  # type: ignore[no-untyped-def]
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
