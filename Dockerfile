# The service as `make serve` runs it: models fitted at build time, a non-root user, a health check on /readyz.
#   docker build -t forecast . && docker run -p 8000:8000 forecast      then open http://127.0.0.1:8000/
# tests/test_container.py replays this file's COPY and `pip install` steps in a fresh virtual environment.
FROM python:3.11-slim

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONUNBUFFERED=1
RUN useradd --create-home --uid 10001 forecast

WORKDIR /app
COPY pyproject.toml README.md ./
COPY forecast ./forecast
RUN pip install --no-cache-dir .
COPY data ./data
COPY models/README.md ./models/README.md
RUN chown -R forecast:forecast /app

ENV OPENBLAS_NUM_THREADS=1 \
    OMP_NUM_THREADS=1 \
    FORECAST_HOST=0.0.0.0 \
    FORECAST_PORT=8000 \
    FORECAST_DATA_DIR=/app/data \
    FORECAST_MODELS_DIR=/app/models \
    FORECAST_DATABASE_PATH=/app/forecast.sqlite3
USER forecast
# Fit once at build time (about two minutes) so the container is ready in seconds: `serve` loads these models.
RUN forecast fit
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=180s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4).status != 200)"]
CMD ["forecast", "serve"]
