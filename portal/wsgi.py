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
