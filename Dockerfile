# Arabic news enrichment: one image for the API (gunicorn) and the Celery workers.
# Debian's own Python 3.11 (the version the code and requirements are pinned for) in a venv,
# so the same Dockerfile builds from any registry's debian:bookworm-slim or from a local
# stand-in of that name (tools/test_containers.py builds one where no registry is reachable).
# Farasa's jars are put in the image at build time, never downloaded when a container runs.
FROM debian:bookworm-slim

ENV DEBIAN_FRONTEND=noninteractive \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH

# Health checks use Python, so no curl.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv ca-certificates \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin \
 && python3 -m venv /opt/venv

WORKDIR /app
COPY requirements.txt .
# pip's own certificate list ignores the system's; the system's is the one a site extends with
# its own authority (/usr/local/share/ca-certificates), so pip is pointed at it.
RUN PIP_CERT=/etc/ssl/certs/ca-certificates.crt /opt/venv/bin/pip install -r requirements.txt

# Farasa jars: from docker/farasa_bin/ in the build context when present (farasapy's folder
# layout, lib/FarasaSegmenterJar.jar ...), with a Java runtime to run them. Without jars the
# build goes on without Java and the workers use the built-in engines, which every result
# names. FARASA_JARS=fetch tries farasapy's own download (a machine with open network);
# FARASA_JARS=require fails the build when no jar ends up in the image; JAVA=yes installs
# Java regardless. After pip, so that changing the jars does not reinstall the packages.
ARG FARASA_JARS=context
ARG JAVA=auto
COPY docker/farasa_bin/ /opt/farasa_bin/
RUN set -eu; \
    jar=/opt/farasa_bin/lib/FarasaSegmenterJar.jar; \
    if [ ! -f "$jar" ] && [ "$FARASA_JARS" = fetch ]; then \
      python -c "import farasa.segmenter as s; s.FarasaSegmenter(interactive=False)" || true; \
      fetched="$(python -c 'import farasa.__base as b; print(b.FarasaBase.bin_dir)')"; \
      if [ -d "$fetched" ]; then cp -r "$fetched"/. /opt/farasa_bin/ && rm -rf "$fetched"; fi; \
    fi; \
    if [ -f "$jar" ]; then echo "Farasa jars: present"; \
    elif [ "$FARASA_JARS" = require ]; then echo "Farasa jars required but missing" >&2; exit 1; \
    else echo "Farasa jars: absent, built-in engines only"; fi; \
    if [ "$JAVA" = yes ] || { [ "$JAVA" = auto ] && [ -f "$jar" ]; }; then \
      mkdir -p /usr/share/man/man1; \
      apt-get update; \
      apt-get install -y --no-install-recommends openjdk-17-jre-headless; \
      rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin; \
    fi
ENV FARASA_BIN_DIR=/opt/farasa_bin

# The whole build context minus .dockerignore, so every top-level package comes along.
# Code stays root-owned (the service writes nothing under /app), so its bytecode is compiled
# here: without it every process would compile its imports again at each start.
COPY . .
RUN python -m compileall -q /app \
 && useradd --system --uid 10001 --create-home --home-dir /home/app --shell /usr/sbin/nologin app
USER app

EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"

CMD ["gunicorn", "-c", "service/gunicorn.conf.py", "--bind", "0.0.0.0:8000", "service.wsgi:app"]
