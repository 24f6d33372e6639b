import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
application = get_wsgi_application()

from portal.settings import require_secret_key  # noqa: E402

require_secret_key()

# What is loaded by now (Django, the apps, their models and modules: about 160,000 objects) lives as long
# as the worker. Frozen, the garbage collector's full collections no longer walk it on every request that
# happens to trigger one: at 500,000 households such a collection paused a page for 135-240 ms once in
# every 100-200 requests of a worker, the spikes that set a page's p95.
gc.collect()
gc.freeze()
# And collected less often: a dashboard request makes some 300,000 objects, nearly all freed as it goes (by
# reference counting), yet every 700 new ones started a young collection, and every tenth of those an
# older one. Every 10,000 costs a few megabytes of garbage at most and, in-process on the street dashboard
# at 500,000 households, took 5-8% off its time (median 114 -> 108 ms, fastest 87 -> 76).
gc.set_threshold(10_000, 10, 10)
