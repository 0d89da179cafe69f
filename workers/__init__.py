"""The background side of the service: the Celery app and the tasks that run a job's steps.

The NLP itself is the ``nlp`` package; the job record and its lifecycle are ``jobs``.
"""
