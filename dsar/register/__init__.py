"""The processing register: the operator, its client controllers, systems and activities.

Written by the operator as YAML (`config/README.md`), loaded and checked whole by
`load_register`, which returns frozen specs or raises a `RegisterError` listing every
problem with its file and path.
"""
from dsar.register.loader import (
    ActivitySpec,
    ControllerSpec,
    Register,
    RegisterError,
    RegisterIssue,
    SystemSpec,
    load_register,
)

__all__ = [
    "ActivitySpec", "ControllerSpec", "Register", "RegisterError", "RegisterIssue", "SystemSpec",
    "load_register",
]
