"""Production gunicorn settings:  gunicorn -c gunicorn.conf.py 'bot:wsgi()'

Each worker builds its own zoombot (Bolt app, database pool) after the fork and only answers
requests; beside them the arbiter keeps TASK_PROCESSES task processes (`python bot.py work`:
the work after each ack and the scheduled jobs) running, as `python bot.py` does. The
database decides which process does which job, so workers and replicas need no other
coordination. WEB_CONCURRENCY (gunicorn's own variable) sets the worker count.
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


_task_processes = None


def on_starting(server):  # type: ignore[no-untyped-def]
    global _task_processes
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(directory, ignore_errors=True)  # samples of a previous run are stale
    os.makedirs(directory, exist_ok=True)
    import bot
    from jobs.workers import TaskProcesses

    settings = bot._settings_or_exit()  # a bad setting stops the start here, with its message
    if settings.task_processes:
        _task_processes = TaskProcesses(settings.task_processes)
        _task_processes.start()


def on_exit(server):  # type: ignore[no-untyped-def]
    if _task_processes is not None:
        _task_processes.stop()


def worker_exit(server, worker):  # type: ignore[no-untyped-def]
    import bot

    bot.shutdown()


def child_exit(server, worker):  # type: ignore[no-untyped-def]
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
