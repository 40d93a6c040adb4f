"""Console pages for the user's external MCP servers: list with health, add, edit, delete, scan, detail."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from apps.console.forms import form_errors_apply
from apps.console.mcp_forms import McpServerForm
from apps.mcp_proxy import selectors, services


def _server_or_404(user, server_id):
    try:
        return selectors.mcp_server_get(user=user, server_id=server_id)
    except ObjectDoesNotExist as error:
        raise Http404("No such MCP server.") from error


def _detail_context(server, **extra) -> dict:
    return {"server": server, "tools": selectors.mcp_server_tools(server=server),
            "prompts": selectors.mcp_server_prompts(server=server), **extra}  # fmt: skip


@login_required
@require_GET
def mcp_servers_view(request):
    servers = selectors.mcp_server_list(user=request.user)
    return render(request, "console/mcp_servers.html", {"servers": servers})


def _form_page(request, form: McpServerForm, server=None):
    context = {"form": form, "server": server, "stdio_allowed": settings.MCP_ALLOW_STDIO_SERVERS}
    return render(request, "console/mcp_server_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def mcp_server_add_view(request):
    form = McpServerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            server = services.mcp_server_create(owner=request.user, **form.service_fields())
        except ValidationError as error:
            form_errors_apply(form, error)
        else:
            messages.success(request, f"“{server.name}” is added. Scan it to discover its tools.")
            return redirect("console:mcp-server", server_id=server.id)
    return _form_page(request, form)


@login_required
@require_http_methods(["GET", "POST"])
def mcp_server_edit_view(request, server_id):
    server = _server_or_404(request.user, server_id)
    form = McpServerForm(request.POST or None, server=server)
    if request.method == "POST" and form.is_valid():
        try:
            services.mcp_server_update(server=server, **form.service_fields())
        except ValidationError as error:
            server.refresh_from_db()  # the refused values were set on the instance; show what is stored
            form_errors_apply(form, error)
        else:
            messages.success(request, f"“{server.name}” is saved.")
            return redirect("console:mcp-server", server_id=server.id)
    return _form_page(request, form, server)


@login_required
@require_http_methods(["GET", "POST"])
def mcp_server_delete_view(request, server_id):
    """GET asks for confirmation; POST deletes."""
    server = _server_or_404(request.user, server_id)
    if request.method == "POST":
        services.mcp_server_delete(server=server)
        messages.success(request, f"“{server.name}” is deleted.")
        return redirect("console:mcp-servers")
    return render(request, "console/mcp_server_delete.html", {"server": server})


@login_required
@require_POST
def mcp_server_scan_view(request, server_id):
    """Scan now; htmx gets the refreshed list row or detail section, with the outcome."""
    server = _server_or_404(request.user, server_id)
    scan_ok = services.mcp_server_scan(server=server)
    if request.htmx and request.POST.get("view") == "row":
        return render(request, "console/partials/mcp_server_row.html", {"server": server, "scan_ok": scan_ok})
    if request.htmx:
        return render(request, "console/partials/mcp_server_state.html", _detail_context(server, scan_ok=scan_ok))
    if scan_ok:
        messages.success(request, f"Scan succeeded: {_counts(server)}.")
    else:
        messages.error(request, f"Scan failed: {server.last_error}")
    return redirect("console:mcp-server", server_id=server.id)


def _counts(server) -> str:
    parts = [(len(server.tools), "tool"), (len(server.prompts), "prompt"), (len(server.resources), "resource"),
             (len(server.resource_templates), "resource template")]  # fmt: skip
    return ", ".join(f"{count} {noun}{'' if count == 1 else 's'}" for count, noun in parts)


@login_required
@require_GET
def mcp_server_view(request, server_id):
    server = _server_or_404(request.user, server_id)
    return render(request, "console/mcp_server.html", _detail_context(server))
