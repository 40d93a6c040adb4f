import re

from preloop.paths import BASE_DIR

SOURCES = ["preloop/settings.py", "preloop/launcher.py", "preloop/paths.py"]


def variables_read() -> set[str]:
    pattern = re.compile(r'(?:env(?:\.\w+)?|os\.environ\.get)\(\s*"([A-Z][A-Z0-9_]+)"')
    found = set()
    for source in SOURCES:
        found |= set(pattern.findall((BASE_DIR / source).read_text()))
    return found


def test_every_variable_preloop_reads_is_documented_in_env_example():
    documented = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]+)=", (BASE_DIR / ".env.example").read_text(), re.MULTILINE))
    read = variables_read()
    assert "DATABASE_URL" in read and "SECRET_KEY" in read  # the pattern finds what it should
    assert read - documented == set()
