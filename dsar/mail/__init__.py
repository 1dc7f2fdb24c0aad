"""Email in and out: parsing raw messages (`parse.py`) and the modules beside it that
fetch and send them."""
