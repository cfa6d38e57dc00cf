"""The HTTP side of ``spokesync serve``: probes, Prometheus metrics, a JSON API, the dashboard."""
