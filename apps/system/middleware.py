"""Health probes answered before anything else, host validation included.

Kubernetes and load balancers probe by pod or container IP, which is rightly not in ALLOWED_HOSTS;
the probes reveal nothing, so they need no host check, session or CSRF machinery.
"""

from apps.system.views import healthz, readyz

PROBES = {"/healthz": healthz, "/readyz": readyz}


class ProbeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        probe = PROBES.get(request.path_info)
        return probe(request) if probe else self.get_response(request)
