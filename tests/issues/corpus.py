"""A small issue corpus whose right answers are known (measured with the local model, see each note)."""

# The three Safari login reports are one problem told three ways (cosine 0.84 to 0.95 between them);
# every other pair is below 0.16. Each query below is closest in meaning to one issue without sharing
# its words.
CORPUS = [
    ("Login fails with 500 error on Safari",
     "Users on Safari get a 500 Internal Server Error when they submit the login form.", ["bug"]),
    ("Users cannot log in with Safari: server error after submitting the form",
     "Since yesterday, Safari users see an internal server error (500) on login.", ["bug"]),
    ("Sign-in broken on Safari (HTTP 500)",
     "Signing in from Safari ends with an HTTP 500 internal server error page.", ["bug", "browser"]),
    ("Add a dark mode to the dashboard", "The dashboard is very bright at night; offer a dark colour scheme.",
     ["enhancement"]),
    ("Card payments requiring 3D Secure are declined",
     "European cards that need 3DS authentication are rejected at checkout.", ["bug", "payments"]),
    ("Export issues to CSV", "Let users download the issue list as a CSV file for spreadsheets.", ["enhancement"]),
    ("Search takes 10 seconds on large projects", "Queries over projects with 50k issues are very slow.", ["performance"]),
    ("Typo in the README installation section", "'pip instal' should read 'pip install'.", ["docs"]),
]  # fmt: skip

SAFARI_TITLES = {title for title, _, _ in CORPUS[:3]}


def seed(fake_github, owner="acme", repo="api", corpus=CORPUS):
    fake_github.add_org(owner)
    fake_github.add_repo(owner, repo)
    for title, body, labels in corpus:
        fake_github.add_issue(owner, repo, title, body, labels=labels)
