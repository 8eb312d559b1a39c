"""Reads of the program's reach: the figures (``figures``) and who sees which institutions
(``scope``)."""
