"""HTTP surface: create_app() builds the FastAPI application around a ForecastService."""
