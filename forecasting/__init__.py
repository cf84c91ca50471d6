"""Weather (files and offline synthesis), PV power with pvlib, building loads and their forecasts."""
