"""The console's audit trail: the user's tool calls, filtered, 50 a page, each expandable to its detail."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from apps.console.mcp_forms import ToolCallFilterForm
from apps.mcp_proxy import selectors
from apps.mcp_proxy.models import ToolCall

CALLS_PER_PAGE = 50


@login_required
@require_GET
@vary_on_headers("HX-Request")
def tool_calls_view(request):
    user = request.user
    sources = selectors.tool_call_sources(user=user, also=request.GET.get("source", ""))
    form = ToolCallFilterForm(request.GET, sources=sources)
    calls = selectors.tool_call_list(user=user, **form.filters()) if form.is_valid() else ToolCall.objects.none()
    page = Paginator(calls, CALLS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "sources": sources,
        "credentials": selectors.tool_call_credential_labels(user=user, calls=page.object_list),
        "filtered": bool(form.is_valid() and form.filters()),
    }
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "console/partials/tool_call_results.html", {**context, "partial": True})
    context.update(tool_names=selectors.tool_call_tool_names(user=user),
                   client_names=selectors.tool_call_client_names(user=user))  # fmt: skip
    return render(request, "console/tool_calls.html", context)
