"""The live link to a site's battery: ``munigrid ems`` (``docs/operations.md``, commissioning).

Every step the :class:`~.controller.Controller` reads a measurement through an adapter,
re-plans with the intraday EMS of :mod:`munigrid.scenarios.operations.intraday`, clamps the set
point to the battery and the demand guard (:mod:`.safety`), writes it and logs everything.

Modules:

* :mod:`.config` -- ``ems.yaml``, a strict schema;
* :mod:`.measurement` -- a reading and its plausibility checks;
* :mod:`.adapter` -- the :class:`~.adapter.Link` interface, reconnection with back-off;
* :mod:`.modbus`, :mod:`.mqtt`, :mod:`.http` -- the three adapters (``http.router`` and
  ``http.make_router`` for the web service);
* :mod:`.safety` -- the set-point clamp and the safe mode;
* :mod:`.dayahead` -- each day's plan, and its form in the log;
* :mod:`.decide` -- the intraday EMS one measured step at a time;
* :mod:`.clock` -- wall time or stepped simulated time;
* :mod:`.log` -- the append-only JSON-lines log;
* :mod:`.controller` -- the loop;
* :mod:`.bank` -- the loop of a meter with several batteries, each on its own device;
* :mod:`.replay` -- a log run again through the controller;
* :mod:`.service` -- building a controller from a scenario and ``ems.yaml``, running it in a
  background thread (a web service's loop);
* :mod:`.review` -- a logged day as the actuals of ``munigrid review``.

Sign convention: set points and battery power are kW at the battery's AC terminals,
**+ charge, - discharge**; site import is + from the grid.
"""
