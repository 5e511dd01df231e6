"""Cleaning: the residue trafilatura leaves on real sites goes, real sentences stay."""

from pipelines.clean import extract_article, remove_residue

ARTICLE = [
    "The foreign ministers met in Yerevan on Tuesday to discuss the alliance's future.",
    "Several delegations said the source of the disagreement was the treaty's mutual defence clause.",
    "Readers left many comments on the minister's speech, which was published in full later that day.",
]


def test_wix_skip_links_and_comment_widget_are_removed():
    text = "\n".join(["top of page", *ARTICLE, "Comments", "Write a comment...", "bottom of page"])
    assert remove_residue(text) == "\n".join(ARTICLE)


def test_wordpress_reply_form_and_similar_posts_tail_are_removed():
    text = "\n".join([
        "Skip to content", *ARTICLE, "Share this:", "Telegram", "Facebook",
        "Similar Posts", "Another story about the region", "A third headline",
        "Leave a Reply", "Your email address will not be published. Required fields are marked *",
    ])
    assert remove_residue(text) == "\n".join(ARTICLE)


def test_read_more_see_also_photo_credit_and_source_lines_are_removed():
    text = "\n".join([
        "Vladimir Putin and Kassym-Jomart TokayevPhoto: Ivan Ivanov / TASS / Agency Images",
        ARTICLE[0], "See also: Ministers disagree on the budget", ARTICLE[1], "Read more", ARTICLE[2],
        "Source: Partner News", "Subscribe to our newsletter", "We use cookies to improve your experience.",
    ])
    assert remove_residue(text) == "\n".join(ARTICLE)


def test_russian_residue_is_removed():
    text = "\n".join(["Наверх", "Лидеры обсудили работу ОДКБ на встрече в Москве.", "Читайте также: Новости региона",
                      "Фото: Иван Иванов / ТАСС", "Источник: Агентство", "Поделиться", "Комментарии"])
    assert remove_residue(text) == "Лидеры обсудили работу ОДКБ на встрече в Москве."


def test_a_long_sentence_that_mentions_a_photo_or_source_is_kept():
    sentence = ("Photo: the official said the picture released by the ministry was taken weeks before the summit, "
                "and that the source of the leak was still unknown to investigators.")
    assert remove_residue(sentence) == sentence


def test_extract_returns_body_without_title_and_metadata():
    paragraphs = "".join(f"<p>{p}</p>" for p in ARTICLE * 2)
    html = (
        "<html><head><title>Ministers meet</title><meta name='author' content='Ann Lee'>"
        "<meta property='article:published_time' content='2026-03-01T10:00:00Z'></head>"
        f"<body><p>top of page</p><article><h1>Ministers meet</h1>{paragraphs}</article>"
        "<div><h3>Leave a Reply</h3></div><p>bottom of page</p></body></html>"
    )
    article = extract_article(html, "http://127.0.0.1/ministers-meet")
    assert article.title == "Ministers meet"
    assert article.author == "Ann Lee"
    assert article.published == "2026-03-01"
    assert article.text.startswith(ARTICLE[0])
    assert "top of page" not in article.text and "Leave a Reply" not in article.text


def test_share_prompts_teasers_timestamps_and_bare_bullets_are_removed():
    text = "\n".join([ARTICLE[0], "- ", "•", "SEE MORE: Students under siege at the university", "DON'T MISS",
                      ARTICLE[1], "Also on example.com Ministers threatened with arrest", "Updated at 1:23 p.m.",
                      "Like this story? Share it with a friend!", "Advertisement", ARTICLE[2]])
    assert remove_residue(text) == "\n".join(ARTICLE)


def test_sentences_that_start_like_residue_are_kept():
    kept = [
        "Updated figures from the ministry show that the number of troops deployed in the region has doubled since spring.",
        "See also how the ministers reacted: several of them walked out of the hall before the vote was taken.",
        "Advertisement revenue of state television rose sharply after the summit, the regulator said on Friday.",
    ]
    assert remove_residue("\n".join(kept)) == "\n".join(kept)


def clean_pipeline(tmp_path):
    from scrapy.utils.test import get_crawler

    from pipelines.clean import CleanPipeline

    pipeline = CleanPipeline.from_crawler(get_crawler(settings_dict={"DB_PATH": str(tmp_path / "monitor.db")}))
    pipeline.open_spider()
    return pipeline


def page(story: list[str], slogan: str) -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in story)
    return f"<html><body><article><h1>Story</h1>{paragraphs}<p>{slogan}</p></article></body></html>"


def test_a_line_on_many_pages_of_one_outlet_is_learned_as_its_template(tmp_path):
    from crawler.items import ArticleItem

    slogan = "The Herald: independent news from the steppe since 1998"
    stories = [[f"{sentence} (report {n})" for sentence in ARTICLE] for n in range(5)]
    pipeline = clean_pipeline(tmp_path)
    texts = [pipeline.process_item(ArticleItem(url=f"http://h/{n}", outlet="Herald", html=page(story, slogan))).text
             for n, story in enumerate(stories)]
    assert all(slogan in text for text in texts[:3])
    assert all(slogan not in text and "(report" in text for text in texts[3:])
    other = pipeline.process_item(ArticleItem(url="http://o/1", outlet="Other", html=page(stories[0], slogan)))
    assert slogan in other.text  # another outlet's template is its own
    pipeline.close_spider()

    next_night = clean_pipeline(tmp_path)  # learned counts come back from the database
    item = next_night.process_item(ArticleItem(url="http://h/9", outlet="Herald", html=page(stories[1], slogan)))
    assert slogan not in item.text and "(report 1)" in item.text



def test_lines_seen_once_are_forgotten_past_a_bound_and_templates_kept():
    """A backfill of years: each page's own lines must not pile up in memory."""
    from pipelines.templates import OutletTemplates

    templates = OutletTemplates(min_pages=3, max_single=100)
    for n in range(1000):
        templates.remove_and_learn("Herald", f"Subscribe to the Herald\nOnly on page {n}: a line of its own\nAnd another, {n}")
    assert len(templates.single) == 100 and set(templates.pages["Herald"]) == {"subscribe to the herald"}
    assert templates.pages["Herald"]["subscribe to the herald"] == 1000
    assert templates.remove_and_learn("Herald", "Subscribe to the Herald\nNews of the day, long enough to keep") == \
        "News of the day, long enough to keep"

def test_a_date_only_in_the_url_is_found_by_htmldate():
    paragraphs = "".join(f"<p>{p}</p>" for p in ARTICLE * 2)
    html = f"<html><head><title>Ministers meet</title></head><body><article>{paragraphs}</article></body></html>"
    assert extract_article(html, "https://example.com/2026/03/14/ministers-meet/").published == "2026-03-14"


def test_a_republished_story_is_not_mistaken_for_the_outlets_template(tmp_path):
    from crawler.items import ArticleItem

    pipeline = clean_pipeline(tmp_path)
    texts = [pipeline.process_item(ArticleItem(url=f"http://h/{n}", outlet="Herald", html=page(ARTICLE, f"Edition {n}"))).text
             for n in range(5)]
    assert all(ARTICLE[1] in text for text in texts)
