"""joblens: watch a Terraform provisioning job live in the terminal."""

# The one place the version is written: pyproject.toml reads it from here at build time
# ([tool.hatch.version]), and `joblens --version` prints it without importing anything else.
__version__ = "0.1.0"
