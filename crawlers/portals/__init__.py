"""Court and credit portals: pure response parsers (no Scrapy import), record building, city attribution.

One module per portal (creditchina, zxgk, rmfygg, wenshu, creditsite); spiders live in `crawlers/spiders/portal_*.py`.
"""
