"""`python -m sandbox`: the same command as `leadrouter sandbox`."""
from sandbox.cli import sandbox

if __name__ == "__main__":
    sandbox(prog_name="python -m sandbox")
