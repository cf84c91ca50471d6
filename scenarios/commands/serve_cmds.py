"""``munigrid serve``: the web workspace and job API on one machine (FastAPI + uvicorn)."""

from __future__ import annotations

from pathlib import Path

import click

from munigrid.models.errors import InputError


def _check_free(host: str, port: int) -> None:
    """InputError naming --port (or --host) when the address cannot be listened on."""
    import errno
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as err:
            field = "--port" if err.errno == errno.EADDRINUSE else "--host"
            raise InputError(f"cannot listen on {host}:{port} ({err.strerror}); choose another {field}", field) from None


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; any but loopback needs --token.")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True, help="Port.")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Run store root (default: $MUNIGRID_RUNS or ./runs).")
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Jobs running at once; more submissions wait in the queue.")
@click.option("--token", envvar="MUNIGRID_TOKEN", default=None,
              help="Access token (or MUNIGRID_TOKEN): bearer for the API, login form for pages.")
def serve(host, port, root, workers, token):
    """Serve the workspace (pages) and the JSON API (/api/v1, docs at /docs); open the printed address."""
    import uvicorn

    from munigrid.scenarios.service.app import create_app
    from munigrid.scenarios.service.security import LOOPBACK_HOSTS

    if host not in LOOPBACK_HOSTS and not token:
        raise InputError(f"binding to {host} opens the service to the network: give --token (or set MUNIGRID_TOKEN), "
                         "or keep the default --host 127.0.0.1", "--token")
    if token is not None and len(token) < 12:
        raise InputError("use a token of at least 12 characters", "--token")
    _check_free(host, port)
    app = create_app(root, token=token, workers=workers)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"munigrid serve: http://{shown}:{port}/ (store {app.state.root.resolve()}, {workers} workers"
               f"{', token required' if token else ''}); Ctrl-C stops", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
