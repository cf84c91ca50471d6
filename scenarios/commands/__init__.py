"""One module per CLI command family; each is a thin layer over the Python API."""
