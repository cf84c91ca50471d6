"""Report figures, one function per chart; each takes plain data and :class:`~..i18n.Labels`."""

from munigrid.solver_runs.report.figures.dispatch import dispatch_week, pick_week, soc_heatmap
from munigrid.solver_runs.report.figures.energy import load_duration, monthly_bill, monthly_energy, monthly_peaks
from munigrid.solver_runs.report.figures.finance import cash_flows, tornado
from munigrid.solver_runs.report.figures.resilience import survival_by_building, survival_curve, survival_heatmap
from munigrid.solver_runs.report.figures.sweep import member_costs, member_tradeoff
from munigrid.solver_runs.report.figures.uncertainty import distributions, sample_variables

__all__ = ["cash_flows", "distributions", "dispatch_week", "load_duration", "member_costs", "member_tradeoff",
           "monthly_bill", "monthly_energy", "monthly_peaks", "pick_week", "sample_variables", "soc_heatmap",
           "survival_by_building", "survival_curve", "survival_heatmap", "tornado"]
