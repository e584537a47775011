"""Entry point for ``python cli.py``: the Typer app lives in :mod:`sim.cli`."""

from sim.cli import app

if __name__ == "__main__":
    app()
