"""Day-ahead operations for facility managers: tomorrow's schedule of one meter, yesterday's review,
and a year of daily operations evaluated against perfect foresight and a rule-based strategy.

Modules, in the order of the daily loop:

* :mod:`.site` -- one meter of a scenario (its batteries, a shared connection's buildings, its
  flexible loads), its metered history (or archetype) and PV;
* :mod:`.state` -- SoC and the month's registered demand at the start of a day, with sources;
* :mod:`.forecast` -- load and PV P10/P50/P90 for the horizon from what is known at the issue time;
* :mod:`.costs` -- what a day adds to the month's bill given the demand already registered;
* :mod:`.plan` -- rolling-horizon dispatch (48 h optimised, 24 h committed);
* :mod:`.schedule_file` -- CSV and JSON files for the building's EMS;
* :mod:`.columns` -- their columns per battery, per building behind a connection, per flexible load;
* :mod:`.daily` -- the afternoon job (``munigrid schedule``);
* :mod:`.ems` -- the EMS's real-time controls and the replay of a day against the actuals;
* :mod:`.intraday` -- the EMS re-planning during the day from the measured state;
* :mod:`.review` -- the morning job: replay against the actuals (``munigrid review``);
* :mod:`.evaluate` -- a period of daily operations rolled over history (``munigrid operations``);
* :mod:`.forecaster_cache` -- fitted load forecasters kept in the run store, one fit per history;
* :mod:`.planner` -- the loop kept warm in one process (day-ahead schedule, intraday re-plan).

See ``docs/operations.md``.
"""
