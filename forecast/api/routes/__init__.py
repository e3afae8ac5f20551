"""Routes by resource, one APIRouter each: ops (health, readiness, metrics), series (list, observations,
forecast), targets, observations (POST ingest), jobs, charts (SVG of a forecast or a target), dashboard
(the page at / and its files). app.create_app includes them."""
