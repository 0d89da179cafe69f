"""Background side of the service: the Celery app and tasks, and the NLP pipeline.

`workers.pipeline` holds the NLP and imports neither Flask nor Celery, so it can be
tested and benchmarked on its own.
"""
