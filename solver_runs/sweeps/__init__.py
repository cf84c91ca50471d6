"""Sweep bookkeeping in the run store (member folders, failures, resume) and the SQLite run index."""
