"""The job layer: settings, the job record in Redis and its lifecycle, problem documents,
logs. Shared by the API (``service``) and the workers (``workers``); imports neither Flask
nor Celery.
"""
