# The production image: web (gunicorn), worker, beat and the migration step all run it.
FROM python:3.11-slim

# The source tree under /app is what runs (manage.py, gunicorn and celery alike).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    DJANGO_SETTINGS_MODULE=brokerage.settings

WORKDIR /app

# Dependencies first, from pyproject.toml alone, so a code change reuses this layer.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY . .
# Static files are collected (hashed and compressed for WhiteNoise) at build time;
# this SECRET_KEY exists only for the build and is never used to sign anything.
RUN pip install --no-deps . \
    && DEBUG=false SECRET_KEY=collectstatic-at-build-time-only python manage.py collectstatic --noinput \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin brokerage \
    && mkdir -p /app/var/beat \
    && chown -R brokerage:brokerage /app/var

USER brokerage
EXPOSE 8000
CMD ["gunicorn", "brokerage.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
