"""The item pipeline of other kinds of run, derived from the one list of stages, ITEM_PIPELINES
in crawler/settings.py: a scale-out fetcher hands items on instead of storing them, a check run
stores nothing, the operations tests leave the stance model out."""

from crawler.settings import ITEM_PIPELINES


def stage_name(path: str) -> str:
    """`pipelines.clean.CleanPipeline` -> `clean`."""
    return path.split(".")[-2]


def item_pipelines(without: tuple[str, ...] = (), add: dict[str, int] | None = None) -> dict[str, int]:
    """ITEM_PIPELINES without the stages named in `without` (module names: clean, relevance,
    language, actors, stance, dedupe, store), plus the components in `add`."""
    unknown = set(without) - {stage_name(path) for path in ITEM_PIPELINES}
    if unknown:
        raise ValueError(f"no stage named {sorted(unknown)[0]!r} in ITEM_PIPELINES")
    kept = {path: order for path, order in ITEM_PIPELINES.items() if stage_name(path) not in without}
    return {**kept, **(add or {})}
