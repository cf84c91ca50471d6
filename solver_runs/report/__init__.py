"""Reports people read: one self-contained HTML page per run and per sweep.

``write_run_report(run_dir, lang="en")`` writes ``report.html`` into a stored run folder;
``write_sweep_report(sweep_dir)`` writes ``report.html`` into a sweep folder. Pages open
offline (plotly.js inlined once), switch between English and Thai, and format baht. The
files a run report reads, with their columns, are listed in :mod:`.rundata`.
"""

from munigrid.solver_runs.report.run_report import write_run_report
from munigrid.solver_runs.report.sweep_report import write_sweep_report

__all__ = ["write_run_report", "write_sweep_report"]
