"""Scrapy item pipelines, one module per stage; their order is ITEM_PIPELINES in crawler/settings.py."""
