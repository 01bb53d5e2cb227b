"""The project's settings with the bare views' URLs added (used only by ``manage.py bench``)."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "villages.bench_site.urls"

# The benchmark measures the statistics API's throughput, far above any one token's rate: not limited here.
SHANZHI_STATS_RATE = None
