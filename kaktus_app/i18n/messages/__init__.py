"""One module per business module, each with ``MESSAGES = {key: (english, indonesian)}``."""
