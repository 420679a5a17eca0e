"""cspsync: Microsoft CSP customers, tenants, agreements and subscriptions as code."""

import os

__version__ = "0.1.0"

# pydantic hands every value it validates to the plugins any installed package registers (entry points of
# the group "pydantic"): in cspsync those values include tenant admin passwords and tokens from Partner
# Center's answers. None is loaded, unless the variable is set otherwise; looking for them also cost every
# command a scan of the installed packages' metadata at its first model.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
