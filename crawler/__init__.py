"""The Scrapy project of CSTO Monitor: settings, items, spiders, and the csto-monitor CLI."""
