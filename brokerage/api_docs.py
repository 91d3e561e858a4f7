"""The browsable API docs (Swagger UI and ReDoc), served by the app from drf-spectacular-sidecar.

Swagger UI is the split view, so its start-up script is a file of its own rather
than inline. Both UIs still set inline styles as they render, and ReDoc runs its
search in a blob: web worker, so these two pages, and only these, allow that.
"""

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerSplitView

docs_policy = csp_update({"style-src": [UNSAFE_INLINE], "worker-src": [SELF, "blob:"]})

swagger_ui = docs_policy(SpectacularSwaggerSplitView.as_view(url_name="api-schema"))
redoc = docs_policy(SpectacularRedocView.as_view(url_name="api-schema"))
