# Arabic news enrichment: one image for the API (gunicorn) and the Celery workers.
# Farasa's jars are put in the image at build time, never downloaded when a container runs.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Java for the Farasa engines; curl-free: health checks use Python.
RUN apt-get update \
 && apt-get install -y --no-install-recommends openjdk-17-jre-headless \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

# Farasa jars: from docker/farasa_bin/ in the build context when present, else farasapy's own
# download (FARASA_JARS=fetch), else none (FARASA_JARS=none). A failed fetch leaves the
# built-in engines, which the results then name; FARASA_JARS=require makes it fatal.
ARG FARASA_JARS=fetch
COPY docker/farasa_bin/ /opt/farasa_bin/
RUN set -eu; \
    if [ ! -f /opt/farasa_bin/lib/FarasaSegmenterJar.jar ] && [ "$FARASA_JARS" != none ]; then \
      python -c "import farasa.segmenter as s; s.FarasaSegmenter(interactive=False)" || true; \
      fetched="$(python -c 'import farasa.__base as b; print(b.FarasaBase.bin_dir)')"; \
      if [ -d "$fetched" ]; then cp -r "$fetched"/. /opt/farasa_bin/ && rm -rf "$fetched"; fi; \
    fi; \
    if [ -f /opt/farasa_bin/lib/FarasaSegmenterJar.jar ]; then echo "Farasa jars: present"; \
    elif [ "$FARASA_JARS" = require ]; then echo "Farasa jars required but missing" >&2; exit 1; \
    else echo "Farasa jars: absent, built-in engines only"; fi
ENV FARASA_BIN_DIR=/opt/farasa_bin

COPY . .
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin app \
 && chown -R app /app
USER app

EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"

CMD ["gunicorn", "-c", "service/gunicorn.conf.py", "--bind", "0.0.0.0:8000", "service.wsgi:app"]
