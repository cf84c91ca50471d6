"""Scenario schema, the bundled scenario library, the runner that ties the chain together, and the CLI."""
