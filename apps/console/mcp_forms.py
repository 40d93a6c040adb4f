"""Console forms for external MCP servers and the tool-call audit. Rules stay in the model and the services:
these forms only turn text boxes into the values the services take."""

from __future__ import annotations

from django import forms
from django.conf import settings

from apps.mcp_proxy.models import HTTP_TRANSPORTS, ExternalMcpServer, McpTransport, ToolCallOutcome, ToolCallTransport

SECRET_HELP = "Stored: {hint}. Leave empty to keep it, or type a new value to replace it."


class SecretTextarea(forms.Textarea):
    """A text box that never sends a value back to the browser, as a password field does."""

    def format_value(self, value):
        return None


def _pairs(text: str, *, separator: str, example: str) -> dict[str, str]:
    """`Name<separator>value` lines as a dict; a line without the separator is an error naming it."""
    pairs = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, found, value = line.partition(separator)
        if not found or not name.strip():
            raise forms.ValidationError(f"Line {number} is not “{example}”.")
        pairs[name.strip()] = value.strip()
    return pairs


class McpServerForm(forms.Form):
    """Add or edit an external MCP server; `server` given: edit it (its secrets are never shown, only hinted)."""

    name = forms.CharField(max_length=200)
    transport = forms.ChoiceField(initial=McpTransport.STREAMABLE_HTTP)
    url = forms.CharField(label="URL", max_length=500, required=False,
                          widget=forms.URLInput(attrs={"placeholder": "https://mcp.example.com/mcp"}),
                          help_text="The server's MCP endpoint.")  # fmt: skip
    bearer_token = forms.CharField(label="Bearer token", required=False, widget=forms.PasswordInput(),
                                   help_text="Sent as Authorization: Bearer …; stored encrypted.")  # fmt: skip
    clear_bearer_token = forms.BooleanField(label="Remove the stored token", required=False)
    headers = forms.CharField(label="Custom headers", required=False, widget=SecretTextarea(attrs={"rows": 3}),
                              help_text="One per line: Name: value. Stored encrypted.")  # fmt: skip
    clear_headers = forms.BooleanField(label="Remove the stored headers", required=False)
    command = forms.CharField(max_length=500, required=False, help_text="The program to run, e.g. npx.")
    args = forms.CharField(label="Arguments", required=False, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text="One argument per line.")  # fmt: skip
    env = forms.CharField(label="Environment", required=False, widget=SecretTextarea(attrs={"rows": 3}),
                          help_text="One per line: NAME=value. Stored encrypted.")  # fmt: skip
    clear_env = forms.BooleanField(label="Remove the stored environment", required=False)
    tool_prefix = forms.CharField(label="Tool prefix", max_length=60, required=False,
                                  help_text="Clients see tools as prefix__name. Empty: derived from the name.")  # fmt: skip
    no_prefix = forms.BooleanField(label="No prefix: clients see the upstream names unchanged", required=False)
    timeout_seconds = forms.IntegerField(label="Timeout (seconds)", min_value=1, max_value=600, initial=30)
    is_active = forms.BooleanField(label="Active: offer its tools to your clients", required=False, initial=True)

    http_fields = ("url", "bearer_token", "clear_bearer_token", "headers", "clear_headers")
    stdio_fields = ("command", "args", "env", "clear_env")

    def __init__(self, *args, server: ExternalMcpServer | None = None, **kwargs):
        self.server = server
        if server is not None:
            kwargs.setdefault("initial", {
                "name": server.name, "transport": server.transport, "url": server.url, "command": server.command,
                "args": "\n".join(server.args), "tool_prefix": server.tool_prefix,
                "no_prefix": not server.tool_prefix, "timeout_seconds": server.timeout_seconds,
                "is_active": server.is_active,
            })  # fmt: skip
        super().__init__(*args, **kwargs)
        transports = [(value, label) for value, label in McpTransport.choices if value in HTTP_TRANSPORTS]
        if settings.MCP_ALLOW_STDIO_SERVERS or (server is not None and server.transport == McpTransport.STDIO):
            transports.append((McpTransport.STDIO.value, McpTransport.STDIO.label))
        self.fields["transport"].choices = transports
        self._secret_fields_describe()

    def _secret_fields_describe(self) -> None:
        """Hint at what is stored; offer to clear only what exists."""
        server = self.server
        stored = {
            "bearer_token": server.bearer_token_hint if server and server.bearer_token else "",
            "headers": ", ".join(f"{name}: {hint}" for name, hint in server.header_hints.items()) if server else "",
            "env": ", ".join(f"{name}=••••" for name in sorted(server.env_dict)) if server else "",
        }
        for field, hint in stored.items():
            if hint:
                self.fields[field].help_text = SECRET_HELP.format(hint=hint)
            else:
                del self.fields[f"clear_{field}"]

    def clean_headers(self) -> dict[str, str]:
        return _pairs(self.cleaned_data["headers"], separator=":", example="Name: value")

    def clean_env(self) -> dict[str, str]:
        return _pairs(self.cleaned_data["env"], separator="=", example="NAME=value")

    def clean_args(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["args"].splitlines() if line.strip()]

    def service_fields(self) -> dict:
        """The keyword arguments of `mcp_server_create` / `mcp_server_update`.

        A server speaks one transport: the other transport's settings are emptied. An empty secret box keeps
        the stored secret; its "Remove" box empties it. An empty prefix means the default (the slug).
        """
        data = self.cleaned_data
        fields = {name: data[name] for name in ("name", "transport", "timeout_seconds", "is_active")}
        if data["no_prefix"]:
            fields["tool_prefix"] = ""
        elif data["tool_prefix"].strip():
            fields["tool_prefix"] = data["tool_prefix"].strip()
        else:
            fields["tool_prefix"] = self.server.slug if self.server else None
        is_http = data["transport"] in HTTP_TRANSPORTS
        fields.update(url=data["url"].strip() if is_http else "", command=data["command"].strip() if not is_http else "",
                      args=data["args"] if not is_http else [])  # fmt: skip
        secrets = {"bearer_token": is_http, "headers": is_http, "env": not is_http}
        for name, wanted in secrets.items():
            if not wanted or data.get(f"clear_{name}"):
                fields[name] = {} if name != "bearer_token" else ""
            elif data[name]:
                fields[name] = data[name]
        return fields


class ToolCallFilterForm(forms.Form):
    """The /tool-calls filters; every field is optional, so a bare GET lists every call."""

    tool_name = forms.CharField(label="Tool", max_length=200, required=False,
                                widget=forms.TextInput(attrs={"list": "tool-names", "placeholder": "Any tool"}))  # fmt: skip
    source = forms.ChoiceField(required=False)
    outcome = forms.ChoiceField(choices=[("", "Any outcome"), *ToolCallOutcome.choices], required=False)
    transport = forms.ChoiceField(choices=[("", "MCP or REST"), *ToolCallTransport.choices], required=False)
    client_name = forms.CharField(label="Client", max_length=200, required=False,
                                  widget=forms.TextInput(attrs={"list": "client-names", "placeholder": "Any client"}))  # fmt: skip
    since = forms.DateTimeField(label="From (UTC)", required=False,
                                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))  # fmt: skip
    until = forms.DateTimeField(label="Until (UTC)", required=False,
                                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))  # fmt: skip

    def __init__(self, *args, sources: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [("", "Any source"), *sources.items()]

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["until"] <= data["since"]:
            self.add_error("until", "Must be later than “From”.")
        return data

    def filters(self) -> dict:
        """The keyword arguments of `tool_call_list`."""
        return {name: value for name, value in self.cleaned_data.items() if value not in ("", None)}
