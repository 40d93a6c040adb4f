"""How the GitHub fake renders its records as JSON: users, orgs, repos, labels, issues, comments, hooks."""

from __future__ import annotations

import base64
from urllib.parse import quote

from .github_store import _Account, _Comment, _Issue, _Label, _Repo


def _node_id(prefix: str, number: int) -> str:
    return prefix + base64.b64encode(number.to_bytes(8, "big")).decode().rstrip("=")


def _permissions(access: bool, role: str) -> dict:
    rank = ("read", "triage", "write", "maintain", "admin").index(role) if access else -1
    return {"admin": rank >= 4, "maintain": rank >= 3, "push": rank >= 2, "triage": rank >= 1, "pull": True}


class GitHubRenderMixin:
    """Mixed into FakeGitHub: payloads shaped as api.github.com sends them, links absolute to `base_url`."""

    def _user_json(self, account: _Account) -> dict:
        key = (account.id, self.base_url)
        cached = self._user_json_cache.get(key)
        if cached is None:
            cached = self._user_json_cache[key] = self._render_user(account)
        return dict(cached)

    def _render_user(self, account: _Account) -> dict:
        api, login = self.base_url, account.login
        return {
            "login": login,
            "id": account.id,
            "node_id": _node_id("U_kgDO" if account.type == "User" else "O_kgDO", account.id),
            "avatar_url": f"https://avatars.githubusercontent.com/u/{account.id}?v=4",
            "gravatar_id": "",
            "url": f"{api}/users/{login}",
            "html_url": f"{self.web_url}/{login}",
            "followers_url": f"{api}/users/{login}/followers",
            "following_url": f"{api}/users/{login}/following{{/other_user}}",
            "gists_url": f"{api}/users/{login}/gists{{/gist_id}}",
            "starred_url": f"{api}/users/{login}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{api}/users/{login}/subscriptions",
            "organizations_url": f"{api}/users/{login}/orgs",
            "repos_url": f"{api}/users/{login}/repos",
            "events_url": f"{api}/users/{login}/events{{/privacy}}",
            "received_events_url": f"{api}/users/{login}/received_events",
            "type": account.type,
            "user_view_type": "public",
            "site_admin": False,
        }

    def _profile_json(self, account: _Account, *, private: bool = False) -> dict:
        owned = [repo for repo in self._repos.values() if repo.owner.lower() == account.login.lower()]
        profile = {
            **self._user_json(account),
            "name": account.name,
            "company": None,
            "blog": "",
            "location": None,
            "email": None,
            "hireable": None,
            "bio": None,
            "twitter_username": None,
            "public_repos": sum(not repo.private for repo in owned),
            "public_gists": 0,
            "followers": 0,
            "following": 0,
            "created_at": account.created_at,
            "updated_at": account.created_at,
        }
        if private:
            private_count = sum(repo.private for repo in owned)
            profile.update(
                {
                    "private_gists": 0,
                    "total_private_repos": private_count,
                    "owned_private_repos": private_count,
                    "disk_usage": 0,
                    "collaborators": 0,
                    "two_factor_authentication": True,
                    "plan": {"name": "pro", "space": 976562499, "collaborators": 0, "private_repos": 9999},
                }
            )
        return profile

    def _org_json(self, account: _Account, *, full: bool = False) -> dict:
        api, login = self.base_url, account.login
        org = {
            "login": login,
            "id": account.id,
            "node_id": _node_id("O_kgDO", account.id),
            "url": f"{api}/orgs/{login}",
            "repos_url": f"{api}/orgs/{login}/repos",
            "events_url": f"{api}/orgs/{login}/events",
            "hooks_url": f"{api}/orgs/{login}/hooks",
            "issues_url": f"{api}/orgs/{login}/issues",
            "members_url": f"{api}/orgs/{login}/members{{/member}}",
            "public_members_url": f"{api}/orgs/{login}/public_members{{/member}}",
            "avatar_url": f"https://avatars.githubusercontent.com/u/{account.id}?v=4",
            "description": None,
        }
        if full:
            repos = [repo for repo in self._repos.values() if repo.owner.lower() == login.lower()]
            org.update(
                {
                    "name": account.name,
                    "company": None,
                    "blog": "",
                    "location": None,
                    "email": None,
                    "twitter_username": None,
                    "is_verified": False,
                    "has_organization_projects": True,
                    "has_repository_projects": True,
                    "public_repos": sum(not repo.private for repo in repos),
                    "public_gists": 0,
                    "followers": 0,
                    "following": 0,
                    "html_url": f"{self.web_url}/{login}",
                    "created_at": account.created_at,
                    "updated_at": account.created_at,
                    "archived_at": None,
                    "type": "Organization",
                }
            )
        return org

    def _repo_json(self, repo: _Repo) -> dict:
        api = f"{self.base_url}/repos/{repo.full_name}"
        owner = self._accounts[repo.owner.lower()]
        open_count = len(repo.by_updated["open"])
        access = self._has_access(repo.owner)
        updated = repo.by_updated["all"][-1].partition("#")[0] if repo.by_updated["all"] else repo.created_at
        return {
            "id": repo.id,
            "node_id": _node_id("R_kgDO", repo.id),
            "name": repo.name,
            "full_name": repo.full_name,
            "private": repo.private,
            "owner": self._user_json(owner),
            "html_url": f"{self.web_url}/{repo.full_name}",
            "description": repo.description or None,
            "fork": False,
            "url": api,
            "hooks_url": f"{api}/hooks",
            "issue_comment_url": f"{api}/issues/comments{{/number}}",
            "issues_url": f"{api}/issues{{/number}}",
            "labels_url": f"{api}/labels{{/name}}",
            "pulls_url": f"{api}/pulls{{/number}}",
            "created_at": repo.created_at,
            "updated_at": updated,
            "pushed_at": repo.created_at,
            "homepage": None,
            "size": 0,
            "stargazers_count": 0,
            "watchers_count": 0,
            "language": None,
            "has_issues": True,
            "has_projects": True,
            "has_downloads": True,
            "has_wiki": True,
            "has_pages": False,
            "has_discussions": False,
            "forks_count": 0,
            "archived": False,
            "disabled": False,
            "open_issues_count": open_count,
            "license": None,
            "allow_forking": True,
            "is_template": False,
            "topics": [],
            "visibility": "private" if repo.private else "public",
            "forks": 0,
            "open_issues": open_count,
            "watchers": 0,
            "default_branch": "main",
            "permissions": _permissions(access, repo.role),
        }

    def _label_json(self, repo: _Repo, label: _Label) -> dict:
        return {
            "id": label.id,
            "node_id": _node_id("LA_kwDO", label.id),
            "url": f"{self.base_url}/repos/{repo.full_name}/labels/{quote(label.name)}",
            "name": label.name,
            "color": label.color,
            "default": False,
            "description": None,
        }

    def _association(self, repo: _Repo, login: str) -> str:
        if login.lower() == repo.owner.lower():
            return "OWNER"
        if login.lower() in self._org_members.get(repo.owner.lower(), ()):
            return "MEMBER"
        return "NONE"

    def _issue_json(self, repo: _Repo, issue: _Issue, *, detail: bool = False) -> dict:
        api = f"{self.base_url}/repos/{repo.full_name}"
        kind = "pull" if issue.pull_request else "issues"
        assignees = [self._user_json(self._accounts[login.lower()]) for login in issue.assignees]
        data = {
            "url": f"{api}/issues/{issue.number}",
            "repository_url": api,
            "labels_url": f"{api}/issues/{issue.number}/labels{{/name}}",
            "comments_url": f"{api}/issues/{issue.number}/comments",
            "events_url": f"{api}/issues/{issue.number}/events",
            "html_url": f"{self.web_url}/{repo.full_name}/{kind}/{issue.number}",
            "id": issue.id,
            "node_id": _node_id("PR_kwDO" if issue.pull_request else "I_kwDO", issue.id),
            "number": issue.number,
            "title": issue.title,
            "user": self._user_json(self._accounts[issue.user.lower()]),
            "labels": [self._label_json(repo, repo.labels[name.lower()]) for name in issue.labels],
            "state": issue.state,
            "locked": issue.locked,
            "assignee": assignees[0] if assignees else None,
            "assignees": assignees,
            "milestone": None,
            "comments": len(issue.comment_ids),
            "created_at": issue.created_at,
            "updated_at": issue.updated_at,
            "closed_at": issue.closed_at,
            "author_association": self._association(repo, issue.user),
            "type": None,
            "active_lock_reason": None,
            "sub_issues_summary": {"total": 0, "completed": 0, "percent_completed": 0},
            "body": issue.body or None,
            "reactions": _reactions(f"{api}/issues/{issue.number}/reactions"),
            "timeline_url": f"{api}/issues/{issue.number}/timeline",
            "performed_via_github_app": None,
            "state_reason": issue.state_reason,
        }
        if issue.pull_request:
            data["draft"] = False
            data["pull_request"] = {
                "url": f"{api}/pulls/{issue.number}",
                "html_url": f"{self.web_url}/{repo.full_name}/pull/{issue.number}",
                "diff_url": f"{self.web_url}/{repo.full_name}/pull/{issue.number}.diff",
                "patch_url": f"{self.web_url}/{repo.full_name}/pull/{issue.number}.patch",
                "merged_at": None,
            }
        if detail:
            closer = issue.closed_by and self._accounts[issue.closed_by.lower()]
            data["closed_by"] = self._user_json(closer) if closer else None
        return data

    def _comment_json(self, repo: _Repo, comment: _Comment) -> dict:
        api = f"{self.base_url}/repos/{repo.full_name}"
        return {
            "url": f"{api}/issues/comments/{comment.id}",
            "html_url": f"{self.web_url}/{repo.full_name}/issues/{comment.number}#issuecomment-{comment.id}",
            "issue_url": f"{api}/issues/{comment.number}",
            "id": comment.id,
            "node_id": _node_id("IC_kwDO", comment.id),
            "user": self._user_json(self._accounts[comment.user.lower()]),
            "created_at": comment.created_at,
            "updated_at": comment.updated_at,
            "author_association": self._association(repo, comment.user),
            "body": comment.body,
            "reactions": _reactions(f"{api}/issues/comments/{comment.id}/reactions"),
            "performed_via_github_app": None,
        }

    def _hook_json(self, repo: _Repo, hook: dict) -> dict:
        api = f"{self.base_url}/repos/{repo.full_name}/hooks/{hook['id']}"
        config = {key: value for key, value in hook["config"].items() if key != "secret"}
        if hook["config"].get("secret"):
            config["secret"] = "********"
        return {
            "type": "Repository",
            "id": hook["id"],
            "name": "web",
            "active": hook["active"],
            "events": hook["events"],
            "config": config,
            "updated_at": hook["created_at"],
            "created_at": hook["created_at"],
            "url": api,
            "test_url": f"{api}/test",
            "ping_url": f"{api}/pings",
            "deliveries_url": f"{api}/deliveries",
            "last_response": {"code": None, "status": "unused", "message": None},
        }


def _reactions(url: str) -> dict:
    counts = dict.fromkeys(("+1", "-1", "laugh", "hooray", "confused", "heart", "rocket", "eyes"), 0)
    return {"url": url, "total_count": 0, **counts}
