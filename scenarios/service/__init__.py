"""``munigrid serve``: a web workspace and a JSON job API over :mod:`munigrid.scenarios.api`.

The service holds no engine logic: routes parse and check requests, hand work to the job
manager (:mod:`.jobs`), which runs each job in its own process through the same API calls
as the CLI, and read results back from the run store and its SQLite index.
:func:`~munigrid.scenarios.service.app.create_app` builds the application.
"""
