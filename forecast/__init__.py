"""forecast: vehicle export figures, models, projections and target tracking."""

__version__ = "0.1.0"
