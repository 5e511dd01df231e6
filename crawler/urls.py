"""One article, one URL: normalise what led to a page so that variants meet in one row."""

from urllib.parse import urldefrag, urlsplit

from courlan import normalize_url


def normalise_url(url: str) -> str:
    """Lower-case scheme and host, drop the default port, the fragment and tracking
    parameters (utm_*, fbclid, gclid, ...), sort the remaining query (courlan)."""
    try:
        normalised = normalize_url(url, strict=False)
    except (ValueError, AttributeError):
        normalised = url
    return urldefrag(normalised)[0]


def same_site(url: str, other: str) -> bool:
    return urlsplit(url).netloc.lower() == urlsplit(other).netloc.lower()


def article_identity(fetched_url: str, declared_canonical: str | None) -> str:
    """The URL an article is stored under: its declared canonical URL (rel=canonical or
    og:url) when that points into the same site, else the URL it was fetched from."""
    if declared_canonical and same_site(declared_canonical, fetched_url):
        return normalise_url(declared_canonical)
    return normalise_url(fetched_url)
