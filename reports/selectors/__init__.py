"""Reads of the program's reach: the figures (``figures``), who sees which institutions
(``scope``) and what an official's dashboard shows of their institution (``official``)."""
