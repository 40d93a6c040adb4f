"""The GitHub fake's GraphQL endpoint (`POST /graphql`): the `deleteIssue` mutation, which REST lacks.

It reads just enough GraphQL to serve `deleteIssue(input: $input)` or `deleteIssue(input: {issueId: ...})` with
the id inline or from `variables`, and answers like GitHub: HTTP 200 with `data` and, when something is wrong,
`errors` whose `type` is NOT_FOUND, FORBIDDEN or INSUFFICIENT_SCOPES. Anything else is an `undefinedField` error.
"""

from __future__ import annotations

import base64
import binascii
import re

from .github_render import _node_id
from .github_store import _Issue, _Repo
from .server import Request, Response

ISSUE_NODE_PREFIX = "I_kwDO"
MUTATION = re.compile(r"^\s*mutation\b[^{]*\{\s*(?:(?P<alias>\w+)\s*:\s*)?(?P<field>\w+)", re.DOTALL)
INPUT = re.compile(r"deleteIssue\s*\(\s*input\s*:\s*(?P<input>\$\w+|\{[^}]*\})", re.DOTALL)
INPUT_FIELD = re.compile(r"(?P<name>issueId|clientMutationId)\s*:\s*(?P<value>\$\w+|\"[^\"]*\")")
REPOSITORY_SELECTION = re.compile(r"\brepository\s*\{(?P<fields>[^{}]*)\}")
ROLES = ("read", "triage", "write", "maintain", "admin")


def issue_from_node_id(node_id: str) -> int | None:
    """The issue's database id from an issue node id (`I_kwDO` + base64 of the id, as the fake renders them)."""
    if not node_id.startswith(ISSUE_NODE_PREFIX):
        return None
    encoded = node_id[len(ISSUE_NODE_PREFIX) :]
    try:
        return int.from_bytes(base64.b64decode(encoded + "=" * (-len(encoded) % 4)), "big")
    except (binascii.Error, ValueError):
        return None


def _error(kind: str | None, message: str, *, path: list | None = None, **extra) -> dict:
    error = {"locations": [{"line": 1, "column": 1}], "message": message, **extra}
    if kind:
        error["type"] = kind
    if path:
        error["path"] = path
    return error


class GitHubGraphQLMixin:
    """Mixed into FakeGitHub; `_graphql` is registered as `POST /graphql` by the route table."""

    def set_permission(self, owner: str, repo: str, role: str) -> None:
        """The token user's role on a repo it can reach (read, triage, write, maintain, admin; default admin)."""
        if role not in ROLES:
            raise ValueError(f"role is one of {ROLES}")
        with self.lock:
            self._seed_repo(owner, repo).role = role

    def _graphql(self, request: Request) -> Response:
        body = request.json()
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return Response(
                200, {"errors": [_error(None, "A query attribute must be specified and must be a string.")]}
            )
        query, variables = body["query"], body.get("variables") or {}
        operation = MUTATION.match(query)
        if operation is None or operation["field"] != "deleteIssue":
            field = operation["field"] if operation else "query"
            code = {"code": "undefinedField", "typeName": "Mutation", "fieldName": field}
            message = f"Field '{field}' doesn't exist on type 'Mutation'"
            return Response(200, {"errors": [_error(None, message, path=["mutation", field], extensions=code)]})
        name = operation["alias"] or "deleteIssue"
        arguments, error = self._delete_issue_input(query, variables)
        if error:
            return Response(200, {"errors": [error]})
        data, error = self._delete_issue_mutation(arguments, query, name)
        return Response(200, {"data": {name: data}, **({"errors": [error]} if error else {})})

    @staticmethod
    def _delete_issue_input(query: str, variables: dict) -> tuple[dict, dict | None]:
        """`{issueId, clientMutationId}` from the query and its variables, or a GraphQL error."""
        found = INPUT.search(query)
        if found is None:
            return {}, _error(None, "Field 'deleteIssue' is missing required arguments: input", path=["mutation"])
        source = found["input"]
        if source.startswith("$"):
            value = variables.get(source[1:])
            arguments = dict(value) if isinstance(value, dict) else {}
        else:
            arguments = {}
            for item in INPUT_FIELD.finditer(source):
                value = item["value"]
                arguments[item["name"]] = variables.get(value[1:]) if value.startswith("$") else value.strip('"')
        if not isinstance(arguments.get("issueId"), str):
            problem = {"path": ["issueId"], "explanation": "Expected value to not be null"}
            message = "Variable $input of type DeleteIssueInput! was provided invalid value for issueId"
            return arguments, _error(None, message, extensions={"problems": [problem]})
        return arguments, None

    def _delete_issue_mutation(self, arguments: dict, query: str, name: str) -> tuple[dict | None, dict | None]:
        if not {"repo", "public_repo"} & set(self.scopes):  # checked before anything is looked up
            scopes = ", ".join(f"'{scope}'" for scope in self.scopes)
            message = (
                "Your token has not been granted the required scopes to execute this query. The 'deleteIssue' field "
                f"requires one of the following scopes: ['public_repo', 'repo'], but your token has only been granted "
                f"the: [{scopes}] scopes. Please modify your token's scopes at: https://github.com/settings/tokens."
            )
            return None, _error("INSUFFICIENT_SCOPES", message)
        node_id = arguments["issueId"]
        found = self._issue_by_node_id(node_id)
        if found is None:
            message = f"Could not resolve to a node with the global id of '{node_id}'"
            return None, _error("NOT_FOUND", message, path=[name])
        repo, issue = found
        if not self._is_admin(repo):
            message = f"{self.login} does not have the correct permissions to execute `DeleteIssue`"
            return None, _error("FORBIDDEN", message, path=[name], extensions={"saml_failure": False})
        with self._changing(repo, issue):
            issue.deleted = True
        data = {}
        if "clientMutationId" in query:
            data["clientMutationId"] = arguments.get("clientMutationId")
        selected = REPOSITORY_SELECTION.search(query)
        if selected:  # only the fields asked for, as GraphQL answers
            fields = {"id": _node_id("R_kgDO", repo.id), "nameWithOwner": repo.full_name, "name": repo.name,
                      "url": f"{self.web_url}/{repo.full_name}"}  # fmt: skip
            data["repository"] = {name: fields.get(name) for name in re.findall(r"\w+", selected["fields"])}
        return data, None

    def _issue_by_node_id(self, node_id: str) -> tuple[_Repo, _Issue] | None:
        """A live issue the token can see (a pull request's node id is not an issue's)."""
        issue_id = issue_from_node_id(node_id)
        for repo in self._repos.values():
            if not self._can_see(repo):
                continue
            for issue in repo.issues.values():
                if issue.id == issue_id and issue.live and not issue.pull_request:
                    return repo, issue
        return None

    def _is_admin(self, repo: _Repo) -> bool:
        return self._has_access(repo.owner) and repo.role == "admin"
