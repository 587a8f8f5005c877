"""`python -m app`: the same as the `transport-lab` command."""

from .cli import run

if __name__ == "__main__":
    run()
