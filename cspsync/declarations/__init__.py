"""Declarations: YAML customer files and cspsync.yaml -> validated models, or every located problem.

``load`` parses YAML safely (values from yaml-rs, YAML 1.2; lines and columns from PyYAML only when
needed), ``schema`` validates against ``schemas/*.schema.json`` (the single source of truth), ``rules``
checks what a schema cannot say, and ``repository`` ties them together for a set of files.
"""

from cspsync.declarations.models import Config, CustomerFile
from cspsync.declarations.problems import Problem
from cspsync.declarations.repository import (
    Declared,
    Report,
    Repository,
    check,
    find_config,
    load_config,
    load_repository,
    validate,
)

__all__ = [
    "Config",
    "CustomerFile",
    "Declared",
    "Problem",
    "Report",
    "Repository",
    "check",
    "find_config",
    "load_config",
    "load_repository",
    "validate",
]
