"""Files the program ships: icons, styles, demo data, desktop entry. Read with importlib.resources."""
