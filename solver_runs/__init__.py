"""The run store: one folder per run, written atomically, and the tools that read it back."""
