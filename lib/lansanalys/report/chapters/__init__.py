"""The chapters of every report, one module each: functions of one area's data
(:class:`~lansanalys.report.data.AreaData`) that return a figure, a table (a DataFrame shown as
HTML) or HTML. A chapter compares the area with its parent and shows its children when it has
any; it reads no other chapter's state, so it works for riket, a län and a kommun alike.

A new chapter is a module here, one-line methods on :class:`~lansanalys.report.facade.Report`,
and cells in the notebooks that show it.
"""
