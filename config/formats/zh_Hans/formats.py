# Ledgers and statistical tables in the mainland write large numbers in groups of three with commas
# (42,632,600 元); Django's zh_Hans default groups by four without a separator. Everything else falls back to
# Django's own zh_Hans formats.
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
