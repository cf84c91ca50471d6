"""Weather for PV and load models: an offline synthetic typical year and readers for weather files.

Every weather frame has the columns of :data:`WEATHER_COLUMNS` on a tz-aware
interval-beginning index; irradiance is the mean over each interval [W/m2].
"""

from munigrid.forecasting.weather.climate import ClimateNormals, thailand_climate
from munigrid.forecasting.weather.files import read_weather
from munigrid.forecasting.weather.synthetic import WEATHER_COLUMNS, synthetic_year

__all__ = ["WEATHER_COLUMNS", "ClimateNormals", "read_weather", "synthetic_year", "thailand_climate"]
