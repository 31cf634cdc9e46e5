"""Genesis Desktop: the portfolio desk of a national AI-for-science programme."""

__version__ = "0.1.0"
