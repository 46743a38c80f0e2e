"""The default rule set: this folder ships in the wheel as the package `pipeline.default_patterns`.

Only the `*.yml` files here are rules; this file exists so that an editable install can import
the folder under that name as well (setuptools maps only regular packages to another folder).
"""
