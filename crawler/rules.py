"""Rules dataclasses (health, outlet health, shifts, stories) built from settings: each field is
the setting PREFIX + FIELD (upper case). Their defaults live once, in crawler/settings.py."""

from dataclasses import MISSING, fields

from scrapy.settings import Settings


def rules_from_settings(rules_class, settings, prefix: str):
    """`rules_class` with each field read from `settings` (a crawl's, which hold the project's
    defaults) as the field's type; a setting that is absent leaves the field's own default."""
    values = {}
    for rule in fields(rules_class):
        value = settings.get(f"{prefix}{rule.name.upper()}")
        if value is not None or rule.default is MISSING:
            values[rule.name] = rule.type(value)
    return rules_class(**values)


def default_rules(rules_class, prefix: str):
    """`rules_class` with the project's defaults (for work outside a crawl: a command, a benchmark)."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    return rules_from_settings(rules_class, settings, prefix)
