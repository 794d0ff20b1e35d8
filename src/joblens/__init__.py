"""joblens: watch a Terraform provisioning job live in the terminal."""

__version__ = "0.1.0"
