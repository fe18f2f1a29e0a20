"""The chapters of the län report, one module each (mixins of :class:`~lansanalys.report.lan.LanReport`).

A new chapter is a module here with a class of methods that return figures or HTML, added to
``LanReport``'s bases, and a cell in ``notebooks/lansrapport.ipynb``.
"""
