"""Tool configurations: per tool, enabled or not, justification mode, and CEL rules that decide each call.

`selectors` reads them (always the requesting user's), `services` writes them (the business rules: the
source must be the user's own, conditions must compile, one configuration per tool), `policy` decides a
call and shapes the tool listing (disabled tools removed, `justification` added where required).
"""
