FROM python:3.11-slim

WORKDIR /app
COPY pyproject.toml README.md ./
COPY forecast ./forecast
RUN pip install --no-cache-dir .
COPY data ./data
COPY models/README.md ./models/README.md

ENV OPENBLAS_NUM_THREADS=1 \
    OMP_NUM_THREADS=1 \
    FORECAST_HOST=0.0.0.0 \
    FORECAST_PORT=8000 \
    FORECAST_DATA_DIR=/app/data \
    FORECAST_MODELS_DIR=/app/models \
    FORECAST_DATABASE_PATH=/app/forecast.sqlite3
# Fit once at build time so the container is ready in seconds.
RUN forecast fit
EXPOSE 8000
CMD ["forecast", "serve"]
