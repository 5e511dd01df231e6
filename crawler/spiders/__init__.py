"""Spiders: `outlets` crawls every outlet listed in a sources file."""
