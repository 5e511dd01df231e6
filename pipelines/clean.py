"""Stage 1: turn a fetched page into article text and metadata.

trafilatura finds the main text, title, author and date; then `remove_residue` takes out
what it leaves behind on real sites: skip links ("top of page"), comment widgets, related-post
blocks, share and newsletter prompts, cookie notices, photo credits and "Source:" lines, in
English and Russian. Residue is only ever a short line that matches one of the patterns
below in full, so a real sentence of the article is never deleted.
"""

from dataclasses import dataclass
import logging
import re

import trafilatura
from scrapy.exceptions import DropItem

logger = logging.getLogger(__name__)

MAX_RESIDUE_CHARS = 160

# A line that is nothing but one of these is residue, wherever it stands.
RESIDUE_LINES = [
    r"(top|bottom) of (the )?page",
    r"back to top|наверх",
    r"skip to (main )?content|перейти к (основному )?содержимому",
    r"(\d+\s+)?comments?(\s*\(\d+\))?|комментари[йияев]+(\s*\(\d+\))?",
    r"leave a (reply|comment)|write a comment\W*|add a comment\W*|оставить комментарий|оставьте комментарий|написать комментарий\W*",
    r"your email address will not be published\..*|required fields are marked.*|ваш (e-?mail|адрес).*не будет опубликован.*",
    r"(post|submit) comment|cancel reply|log in to reply|отправить комментарий",
    r"(similar|related) (posts|articles|stories|news)|you may also like|похожие (записи|статьи|новости|материалы)",
    r"read (more|also|next)\W*(:.*)?|see also\W*(:.*)?|читайте также\W*(:.*)?|читать (далее|еще|ещё)\W*|смотрите также\W*(:.*)?",
    r"share( this( article| story)?)?( on)?\W*((facebook|twitter|x|telegram|whatsapp|vk|linkedin|email)\W*)*|поделиться\W*",
    r"(facebook|twitter|telegram|whatsapp|vk|linkedin)(\s*[|·•,]\s*(facebook|twitter|telegram|whatsapp|vk|linkedin))*",
    r"(subscribe|sign up)( to| for)? (our|the) newsletter.*|подпис(ывайтесь|аться) на (нашу )?рассылку.*",
    r"(we use|this (web)?site uses) cookies.*|accept( all)? cookies|мы используем (файлы )?cookie.*",
    r".{0,100}(photo|фото)\s*:\s*[^.!?]{0,100}",  # a caption glued to its credit: "TokayevPhoto: A. B / TASS"
    r"(source|источник)\s*:\s*[^.!?]{0,100}\.?",
]
RESIDUE = re.compile(r"^\s*(" + "|".join(RESIDUE_LINES) + r")\s*$", re.IGNORECASE)

# Headings after which a page carries only other stories or readers' comments.
TAIL_HEADINGS = re.compile(
    r"^\s*((similar|related) (posts|articles|stories)|you may also like|leave a reply|comments"
    r"|похожие (записи|статьи|новости)|комментарии)\s*$",
    re.IGNORECASE,
)


@dataclass
class ExtractedArticle:
    title: str | None
    author: str | None
    published: str | None
    text: str


def remove_residue(text: str) -> str:
    """Drop residue lines, and everything after a related-posts or comments heading that
    stands in the second half of the text."""
    lines = text.splitlines()
    kept: list[str] = []
    for number, line in enumerate(lines):
        if TAIL_HEADINGS.match(line) and number >= len(lines) / 2:
            break
        if len(line) <= MAX_RESIDUE_CHARS and RESIDUE.match(line):
            continue
        kept.append(line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()


def extract_article(html: str, url: str | None = None) -> ExtractedArticle | None:
    """Main text and metadata of one page, residue removed; None when the page has no article."""
    document = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        deduplicate=False,
    )
    if document is None or not document.text:
        return None
    text = remove_residue(document.text)
    title = document.title.strip() if document.title else None
    if title and text.startswith(title):
        text = text[len(title) :].lstrip()
    if not text:
        return None
    return ExtractedArticle(title=title, author=document.author, published=document.date, text=text)


class CleanPipeline:
    """Fills title, author, published and text from the page's HTML; drops pages with no article."""

    def __init__(self, min_chars: int, stats):
        self.min_chars = min_chars
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.getint("CLEAN_MIN_TEXT_CHARS", 200), crawler.stats)

    def process_item(self, item):
        extracted = extract_article(item.html, item.url)
        if extracted is None or len(extracted.text) < self.min_chars:
            self.stats.inc_value("articles/dropped/no_text")
            raise DropItem(f"no article text at {item.url}")
        item.title = extracted.title
        item.author = extracted.author
        item.published = extracted.published
        item.text = extracted.text
        item.html = None  # the page itself is not stored
        return item
